// `tsstack up` in a real terminal (tmux) and `tsstack run`, through the real binary against the real embedded
// control plane (controller, owned redis, node agent as daemons) with a small busybox stack. In tmux the
// progress block is redrawn in place: the screen ends with one line per service and the summary, while the
// raw terminal stream shows that earlier states were drawn and moved over (cursor up). `run` makes a one-off
// container: output, exit code, stdin, -e, and nothing left after it, not even in `ps`. afterAll tears all
// down: the tmux server, down, system stop, the agent's cleanup and the temporary data dir.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runtimeStateRoot } from '@tsstack/node-agent';
import {
  BUSYBOX_REFERENCE,
  requireRoot,
  startEmbeddedCli,
  TSSTACK_BIN,
  type EmbeddedCli,
} from '@tsstack/testkit';

const BIN = TSSTACK_BIN;
const SERVICES = ['cache', 'db', 'web'];

// Its own subnet: another control plane on this host (a parallel test) may hold the default pool's first one.
const SUBNET = `10.${180 + (process.pid % 40)}.${process.pid % 250}.0/24`;

// web is health-checked, so it is drawn as `starting` (not ready before its first probe) before `running`.
const STACK = `name: oneoff
services:
  web:
    image: ${BUSYBOX_REFERENCE}
    command: ['sleep', '3600']
    init: true
    environment:
      GREETING: hi-from-spec
    healthcheck:
      test: ['CMD', 'true']
      interval: 1s
    deploy:
      replicas: 2
  db:
    image: ${BUSYBOX_REFERENCE}
    command: ['sleep', '3600']
  cache:
    image: ${BUSYBOX_REFERENCE}
    command: ['sleep', '3600']
networks:
  default:
    ipam:
      config:
        - subnet: ${SUBNET}
`;

interface PsRow {
  task: string;
  service: string;
  state: string;
}

describe('cli in a terminal and tsstack run, against the embedded control plane', () => {
  let dataDir = '';
  let env: NodeJS.ProcessEnv;
  let plane: EmbeddedCli | undefined;
  const tmuxSocket = `tsstack-test-${process.pid}`;

  const cli = (args: string[], input?: string, timeoutMs = 120_000): SpawnSyncReturns<string> =>
    plane!.cli(args, { input, timeoutMs });
  const tmux = (args: string[]): SpawnSyncReturns<string> =>
    spawnSync('tmux', ['-L', tmuxSocket, ...args], { encoding: 'utf8' });
  const containers = (): string[] => {
    const root = runtimeStateRoot(path.join(dataDir, 'agent'));
    return fs.existsSync(root) ? fs.readdirSync(root).sort() : [];
  };
  const ps = (): PsRow[] =>
    JSON.parse(cli(['ps', '-p', 'oneoff', '-a', '--format', 'json']).stdout) as PsRow[];

  beforeAll(async () => {
    requireRoot();
    plane = await startEmbeddedCli('run');
    ({ dataDir, env } = plane);
    fs.writeFileSync(path.join(dataDir, 'stack.yml'), STACK);
  });

  afterAll(() => {
    if (!plane) return;
    tmux(['kill-server']);
    plane.teardown(['oneoff']);
  });

  test('up in tmux: progress lines update in place, one per service, then the summary', async () => {
    const raw = path.join(dataDir, 'terminal.raw');
    const go = path.join(dataDir, 'go');
    const script = path.join(dataDir, 'up-in-terminal.sh');
    const exports = ['TSSTACK_DATA_DIR', 'TSSTACK_IMAGE_ROOT', 'TSSTACK_EMBEDDED_ADDR', 'PATH']
      .map((k) => `export ${k}='${env[k]}'`)
      .join('\n');
    // The command waits for `go` so that pipe-pane records the terminal stream from its first byte.
    fs.writeFileSync(
      script,
      `${exports}\nwhile [ ! -e '${go}' ]; do sleep 0.1; done\n` +
        `'${process.execPath}' '${BIN}' up --wait -f '${path.join(dataDir, 'stack.yml')}' --timeout 90\n` +
        `echo "EXIT=$?"\nsleep 600\n`,
    );
    expect(tmux(['new-session', '-d', '-s', 'up', '-x', '120', '-y', '40', `bash '${script}'`]).status).toBe(
      0,
    );
    expect(tmux(['pipe-pane', '-t', 'up', '-o', `cat >> '${raw}'`]).status).toBe(0);
    fs.writeFileSync(go, '');
    let screen = '';
    const until = Date.now() + 120_000;
    while (!/EXIT=\d+/.test(screen)) {
      if (Date.now() > until) throw new Error(`up did not finish in the terminal:\n${screen}`);
      await new Promise((r) => setTimeout(r, 300));
      screen = tmux(['capture-pane', '-p', '-t', 'up']).stdout;
    }
    if (!/EXIT=0/.test(screen)) {
      const tasks = cli(['ps', '-p', 'oneoff', '-a', '--format', 'json']).stdout;
      const agentLog = fs.readFileSync(path.join(dataDir, 'system', 'agent.log'), 'utf8').slice(-2000);
      throw new Error(`up failed in the terminal:\n${screen}\ntasks: ${tasks}\nagent log: ${agentLog}`);
    }
    const lines = screen.split('\n').map((l) => l.trimEnd());
    for (const svc of SERVICES) expect(lines.filter((l) => l.startsWith(`${svc}: `))).toHaveLength(1);
    expect(lines).toContain('web: healthy 2/2');
    expect(lines).toContain('db: running 1/1');
    expect(lines).toContain('cache: running 1/1');
    expect(screen).toMatch(/^3 services reached their goal in [\d.]+s$/m);
    // The stream drew earlier states and moved the cursor back over them.
    const stream = fs.readFileSync(raw, 'utf8');
    expect(stream).toContain('web: starting 0/2');
    expect(stream).toContain(`\x1b[${SERVICES.length}A`);
  });

  test('run --rm: the command output and exit code, the spec environment and -e, no container left', () => {
    const before = containers();
    const r = cli(['run', '-p', 'oneoff', '--rm', 'web', 'sh', '-c', 'echo hi; exit 3']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hi\n');
    expect(r.status).toBe(3);
    const e = cli(['run', '-p', 'oneoff', '-e', 'EXTRA=two', 'web', 'sh', '-c', 'echo "$GREETING $EXTRA"']);
    expect(e.stdout).toBe('hi-from-spec two\n');
    expect(e.status).toBe(0);
    expect(containers()).toEqual(before);
  });

  test('run with stdin piped: the command reads it to the end', () => {
    const r = cli(['run', '-p', 'oneoff', '--rm', 'db', 'sh', '-c', 'cat; echo end'], 'line one\nline two\n');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('line one\nline two\nend\n');
    expect(r.status).toBe(0);
  });

  test('a one-off is no replica: ps shows the same tasks after runs; a service with no task exits 125', () => {
    const before = ps();
    expect(cli(['run', '-p', 'oneoff', '--rm', 'web', 'true']).status).toBe(0);
    const after = ps();
    expect(after.map((t) => t.task).sort()).toEqual(before.map((t) => t.task).sort());
    expect(after.filter((t) => t.service === 'oneoff_web' && t.state === 'running')).toHaveLength(2);
    const missing = cli(['run', '-p', 'oneoff', 'nosuch', 'true']);
    expect(missing.status).toBe(125);
    expect(missing.stderr).toMatch(/no running task of oneoff_nosuch/);
  });

  test('run in a terminal gets a terminal of the same size, and its exit code', async () => {
    const script = path.join(dataDir, 'run-in-terminal.sh');
    const exports = ['TSSTACK_DATA_DIR', 'TSSTACK_IMAGE_ROOT', 'TSSTACK_EMBEDDED_ADDR', 'PATH']
      .map((k) => `export ${k}='${env[k]}'`)
      .join('\n');
    fs.writeFileSync(
      script,
      `${exports}\n'${process.execPath}' '${BIN}' run -p oneoff --rm web sh -c 'tty; stty size; exit 4'\n` +
        `echo "EXIT=$?"\nsleep 600\n`,
    );
    expect(tmux(['new-session', '-d', '-s', 'tty', '-x', '100', '-y', '30', `bash '${script}'`]).status).toBe(
      0,
    );
    let screen = '';
    const until = Date.now() + 60_000;
    while (!/EXIT=\d+/.test(screen)) {
      if (Date.now() > until) throw new Error(`run did not finish in the terminal:\n${screen}`);
      await new Promise((r) => setTimeout(r, 300));
      screen = tmux(['capture-pane', '-p', '-t', 'tty']).stdout;
    }
    expect(screen).toMatch(/^\/dev\/pts\/\d+$/m);
    expect(screen).toMatch(/^30 100$/m);
    expect(screen).toMatch(/EXIT=4/);
  });

  test('run usage errors exit 2', () => {
    expect(cli(['run', '-p', 'oneoff', '-e', 'NOEQUALS', 'web', 'true']).status).toBe(2);
    expect(cli(['run', '-p', 'oneoff', 'web']).status).toBe(2);
  });
});
