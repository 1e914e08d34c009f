// Compose `build:` inside `tsstack up`, through the real binary against the real embedded control plane:
// a service built from a Dockerfile (FROM the local test busybox, COPY, RUN) comes up and runs the built
// content; `up` again builds nothing and changes nothing; a changed context is rebuilt only with --build;
// a failing RUN and a remote controller stop `up` before anything is deployed. Everything is torn down in
// afterAll: down, system stop, the agent's cleanup, the build runtime's state and the temporary dirs.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ImageStore } from '@tsstack/image';
import { seccompCacheDir } from '@tsstack/runtime';
import { busyboxImage, BUSYBOX_REFERENCE, freePort, requireRoot, TSSTACK_BIN as BIN } from '@tsstack/testkit';

const DOCKERFILE = `FROM ${BUSYBOX_REFERENCE}
COPY greeting.txt /app/greeting.txt
RUN echo "run saw $(cat /app/greeting.txt)" > /app/run.txt
CMD ["sleep", "3600"]
`;

// Long form: a named image, a non-default Dockerfile, args, labels, and a target that skips a failing stage.
const DOCKERFILE_API = `FROM ${BUSYBOX_REFERENCE} AS base
ARG WHO=nobody
RUN echo "hello $WHO" > /who.txt
FROM base AS final
CMD ["sleep", "3600"]
FROM final AS broken
RUN exit 9
`;

const STACK = `name: ubuild
services:
  web:
    build: ./ctx
    init: true
  api:
    image: local/ubuild-api:1
    init: true
    build:
      context: ./ctx
      dockerfile: Dockerfile.api
      target: final
      args:
        WHO: tsstack
      labels:
        org.example.built-by: up
`;

const FAILING = `name: ubfail
services:
  good:
    image: ${BUSYBOX_REFERENCE}
    command: ['sleep', '3600']
  bad:
    build:
      context: ./bad
`;

interface Task {
  service: string;
  state: string;
  desiredState: string;
  containerId: string;
}

describe('up builds services with build: on the embedded control plane', () => {
  let dir = '';
  let buildState = '';
  let imageRoot = '';
  let env: NodeJS.ProcessEnv;

  const cli = (args: string[], extra: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> =>
    spawnSync(process.execPath, [BIN, ...args], {
      env: { ...env, ...extra },
      encoding: 'utf8',
      timeout: 180_000,
      cwd: dir,
    });
  const running = (project: string): Task[] => {
    const ps = cli(['ps', '-p', project, '--format', 'json']);
    expect(ps.status).toBe(0);
    return (JSON.parse(ps.stdout) as Task[]).filter((t) => t.state === 'running');
  };
  const containerOf = (service: string): string => {
    const t = running('ubuild').filter((x) => x.service === `ubuild_${service}`);
    expect(t).toHaveLength(1);
    return t[0]!.containerId;
  };
  const execCat = (service: string, file: string): SpawnSyncReturns<string> =>
    cli(['exec', '-p', 'ubuild', '-T', service, 'cat', file]);
  const stacks = (): string[] => {
    const ls = cli(['stack', 'ls', '--json']);
    expect(ls.status).toBe(0);
    return (JSON.parse(ls.stdout) as Array<{ name: string }>).map((s) => s.name);
  };

  beforeAll(async () => {
    requireRoot();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsstack-upbuild-'));
    // Short: the build runtime keeps its shims' control sockets under it.
    buildState = fs.mkdtempSync('/run/tsub-');
    imageRoot = path.join(dir, 'images');
    env = {
      ...process.env,
      TSSTACK_HOST: '',
      TSSTACK_TOKEN: '',
      TSSTACK_DATA_DIR: path.join(dir, 'data'),
      TSSTACK_IMAGE_ROOT: imageRoot,
      TSSTACK_BUILD_STATE: buildState,
      TSSTACK_EMBEDDED_ADDR: `127.0.0.1:${await freePort()}`,
    };
    const imported = cli(['image', 'import', (await busyboxImage()).ociLayout, BUSYBOX_REFERENCE]);
    expect(imported.status).toBe(0);
    fs.mkdirSync(path.join(dir, 'ctx'));
    fs.writeFileSync(path.join(dir, 'ctx', 'Dockerfile'), DOCKERFILE);
    fs.writeFileSync(path.join(dir, 'ctx', 'Dockerfile.api'), DOCKERFILE_API);
    fs.writeFileSync(path.join(dir, 'ctx', 'greeting.txt'), 'hello-1\n');
    fs.writeFileSync(path.join(dir, 'stack.yml'), STACK);
    fs.mkdirSync(path.join(dir, 'bad'));
    fs.writeFileSync(
      path.join(dir, 'bad', 'Dockerfile'),
      `FROM ${BUSYBOX_REFERENCE}\nRUN echo boom-from-run; exit 3\nCMD ["sleep", "3600"]\n`,
    );
    fs.writeFileSync(path.join(dir, 'failing.yml'), FAILING);
  });

  afterAll(async () => {
    if (!dir) return;
    const agentState = path.join(dir, 'data', 'agent');
    for (const p of ['ubuild', 'ubfail', 'ubremote']) cli(['down', '-p', p]);
    // down returns once the stack is gone from the store; let the agent remove the containers before it stops.
    const runtimeRoot = `/run/tsstack/rt-${createHash('sha256').update(agentState).digest('hex').slice(0, 12)}`;
    const until = Date.now() + 60_000;
    while (fs.existsSync(runtimeRoot) && fs.readdirSync(runtimeRoot).length > 0 && Date.now() < until)
      await new Promise((r) => setTimeout(r, 300));
    cli(['system', 'stop']);
    const cleanup = cli(['node-agent', '--cleanup', '--state-dir', agentState, '--image-root', imageRoot]);
    if (buildState) fs.rmSync(buildState, { recursive: true, force: true });
    if (buildState) fs.rmSync(seccompCacheDir(buildState), { recursive: true, force: true });
    // The build runtime's cgroup parent: removed when no other build uses it (rmdir of a busy one fails).
    for (const c of fs.existsSync('/sys/fs/cgroup') ? fs.readdirSync('/sys/fs/cgroup') : []) {
      const d = c === 'tsstack-build' ? '/sys/fs/cgroup/tsstack-build' : `/sys/fs/cgroup/${c}/tsstack-build`;
      try {
        fs.rmdirSync(d);
      } catch {
        /* absent, or in use by another build */
      }
    }
    expect({ status: cleanup.status, stderr: cleanup.stderr }).toMatchObject({ status: 0 });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('up builds both services (short and long form) and the containers run the built content', () => {
    const up = cli(['up', '--wait', '-f', 'stack.yml', '--timeout', '120']);
    expect(up.stderr).toMatch(/^web: building ubuild-web from .*ctx \(Dockerfile\)$/m);
    expect(up.stderr).toMatch(/^web: \[0\] RUN echo "run saw/m);
    expect(up.stderr).toMatch(/^api: building local\/ubuild-api:1 from .*ctx \(Dockerfile.api\)$/m);
    expect(up.stderr).not.toMatch(/RUN exit 9/);
    expect(up.stdout).toMatch(/\+ api\s+create/);
    expect(up.stdout).toMatch(/\+ web\s+create/);
    expect(`${up.stdout}${up.stderr}exit ${up.status}`).toMatch(/exit 0$/);

    const run = execCat('web', '/app/run.txt');
    expect(run.stdout).toBe('run saw hello-1\n');
    expect(run.status).toBe(0);
    expect(execCat('web', '/app/greeting.txt').stdout).toBe('hello-1\n');
    expect(execCat('api', '/who.txt').stdout).toBe('hello tsstack\n');

    const store = new ImageStore({ root: imageRoot });
    return Promise.all([store.get('ubuild-web'), store.get('local/ubuild-api:1')]).then(([web, api]) => {
      expect(web?.config.Cmd).toEqual(['sleep', '3600']);
      expect(api?.config.Labels?.['org.example.built-by']).toBe('up');
      // The service runs exactly the built manifest, found in the local store without a registry.
      const svc = cli(['service', 'inspect', 'ubuild/web']);
      expect(svc.stdout).toContain(`ubuild-web@${web!.digest}`);
    });
  });

  test('up again builds nothing and changes nothing; plan agrees', () => {
    const before = [containerOf('web'), containerOf('api')];
    const up = cli(['up', '--wait', '-f', 'stack.yml', '--timeout', '120']);
    expect(up.stderr).not.toMatch(/building/);
    expect(up.stdout).toMatch(/= api\s+unchanged/);
    expect(up.stdout).toMatch(/= web\s+unchanged/);
    expect(up.status).toBe(0);
    expect([containerOf('web'), containerOf('api')]).toEqual(before);
    // plan pins to the local images the same way, so it agrees with up.
    const plan = cli(['plan', '-f', 'stack.yml']);
    expect(plan.stdout).toMatch(/0 to create, 0 to update, 0 to remove, 2 unchanged/);
    expect(plan.status).toBe(0);
  });

  test('a changed context is rebuilt with --build (not without); an unchanged one keeps its container', async () => {
    fs.writeFileSync(path.join(dir, 'ctx', 'greeting.txt'), 'hello-2\n');
    const apiBefore = containerOf('api');
    const plain = cli(['up', '--wait', '-f', 'stack.yml', '--timeout', '120']);
    expect(plain.stderr).not.toMatch(/building/);
    expect(plain.status).toBe(0);
    expect(execCat('web', '/app/run.txt').stdout).toBe('run saw hello-1\n');

    const rebuilt = cli(['up', '--wait', '-f', 'stack.yml', '--build', '--timeout', '120']);
    expect(rebuilt.stderr).toMatch(/^web: building ubuild-web/m);
    expect(rebuilt.stderr).toMatch(
      /^api: built local\/ubuild-api:1 sha256:\w+ \((\d+) layer steps, \1 from the cache\)$/m,
    );
    expect(rebuilt.stdout).toMatch(/~ web\s+update\s+\(image changed\)/);
    expect(rebuilt.stdout).toMatch(/= api\s+unchanged/);
    expect(`${rebuilt.stdout}${rebuilt.stderr}exit ${rebuilt.status}`).toMatch(/exit 0$/);
    // up waits for the service's goal, but the replaced task may still be shutting down: wait for one.
    const until = Date.now() + 60_000;
    while (running('ubuild').filter((t) => t.service === 'ubuild_web').length !== 1) {
      if (Date.now() > until) throw new Error('web did not settle on one running task');
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(execCat('web', '/app/run.txt').stdout).toBe('run saw hello-2\n');
    expect(containerOf('api')).toBe(apiBefore);
  });

  test('a failing RUN stops up with the service named, exit 1, and nothing of the stack deployed', () => {
    const up = cli(['up', '--wait', '-f', 'failing.yml', '--timeout', '60']);
    expect(up.status).toBe(1);
    expect(up.stderr).toMatch(/service bad: building image ubfail-bad failed, nothing was deployed/);
    expect(up.stderr).toMatch(/Dockerfile:2: RUN .*exited with 3/);
    expect(up.stderr).toContain('boom-from-run');
    expect(up.stdout).not.toMatch(/Plan for stack/);
    expect(stacks()).not.toContain('ubfail');
    expect(stacks()).toContain('ubuild');
  });

  test('with a remote controller a build-only service is refused before anything is deployed', () => {
    const up = cli(['up', '--wait', '-f', 'failing.yml', '-p', 'ubremote'], {
      TSSTACK_HOST: `http://${env.TSSTACK_EMBEDDED_ADDR}`,
    });
    expect(up.status).toBe(1);
    expect(up.stderr).toMatch(/service bad has build: but the controller at http:\S+ is remote/);
    expect(up.stderr).toMatch(/push.*set image:/);
    expect(up.stderr).not.toMatch(/building/);
    expect(stacks()).not.toContain('ubremote');
  });

  test('--pull takes always|missing|never and nothing else (usage error, exit 2)', () => {
    const bad = cli(['up', '-f', 'stack.yml', '--pull', 'sometimes']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--pull sometimes: use always\|missing\|never/);
  });
});
