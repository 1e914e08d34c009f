// The Quick start path for real, on this host: `tsstack up` starts the embedded control plane (controller,
// owned redis-server, node agent as daemons), deploys a web service with two replicas behind a published
// port, which answers; `ps`, `exec` and `logs` work; `down`, `system stop` and the agent's cleanup leave
// nothing behind. This is one of the few tests in the machine's own network namespace: it binds one free
// loopback port and creates only tsstack's own bridge, rules and namespaces, never touching the uplink.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runtimeStateRoot } from '@tsstack/node-agent';
import { freePort, REPO_ROOT as ROOT, requireRoot, TSSTACK_BIN as BIN } from '@tsstack/testkit';

describe('single host: tsstack up, the Quick start path', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsstack-e2e-'));
  const imageRoot = path.join(dataDir, 'images');
  let env: NodeJS.ProcessEnv;
  let stackFile: string;
  let webPort: number;

  const cli = (args: string[], timeoutMs = 120_000): SpawnSyncReturns<string> =>
    spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: timeoutMs, cwd: ROOT });

  beforeAll(async () => {
    requireRoot();
    env = {
      ...process.env,
      TSSTACK_DATA_DIR: dataDir,
      TSSTACK_IMAGE_ROOT: imageRoot,
      TSSTACK_EMBEDDED_ADDR: `127.0.0.1:${await freePort()}`,
    };
    webPort = await freePort();
    const built = spawnSync('bash', [path.join(ROOT, 'examples', 'build-images.sh')], {
      env,
      encoding: 'utf8',
    });
    expect(built.stderr).toBe('');
    expect(built.status).toBe(0);
    stackFile = path.join(dataDir, 'stack.yml');
    fs.writeFileSync(
      stackFile,
      fs
        .readFileSync(path.join(ROOT, 'examples', 'hello', 'stack.yml'), 'utf8')
        .replace("'8080:8080'", `'${webPort}:8080'`),
    );
  });

  afterAll(() => {
    cli(['down', '-p', 'hello']);
    cli(['system', 'stop']);
    cli(['node-agent', '--cleanup', '--state-dir', path.join(dataDir, 'agent'), '--image-root', imageRoot]);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('up reaches its goal and the published port answers from both replicas', async () => {
    const up = cli(['up', '--wait', '-f', stackFile, '--timeout', '90']);
    expect(up.stderr).toBe('');
    expect(up.stdout).toMatch(/\+ web\s+create/);
    expect(up.stdout).toMatch(/1 services reached their goal/);
    expect(up.status).toBe(0);
    const ps = cli(['ps', '-p', 'hello', '--format', 'json']);
    const tasks = JSON.parse(ps.stdout) as Array<{ state: string; containerId: string; slot: number }>;
    expect(tasks.filter((t) => t.state === 'running')).toHaveLength(2);
    const res = await fetch(`http://127.0.0.1:${webPort}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/hello/i);
  });

  test('exec runs in a task and returns its exit code; logs show the service', () => {
    const exec = cli(['exec', '-p', 'hello', '-T', 'web', 'sh', '-c', 'hostname; ls /www; exit 5']);
    expect(exec.stdout).toMatch(/index.html/);
    expect(exec.status).toBe(5);
    const logs = cli(['logs', '-p', 'hello', 'web', '--tail', '50']);
    expect(logs.status).toBe(0);
  });

  test('down, system stop and the agent cleanup leave nothing behind', () => {
    expect(cli(['down', '-p', 'hello']).status).toBe(0);
    expect(cli(['system', 'stop']).status).toBe(0);
    const cleanup = cli(['node-agent', '--cleanup', '--state-dir', path.join(dataDir, 'agent'), '--image-root', imageRoot]); // prettier-ignore
    expect(cleanup.status).toBe(0);
    const root = runtimeStateRoot(path.join(dataDir, 'agent'));
    expect(fs.existsSync(root)).toBe(false);
    expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(root);
    expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(dataDir);
    const left = fs
      .readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .map((p) => {
        try {
          return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ');
        } catch {
          return '';
        }
      })
      .filter((cmd) => cmd.includes(dataDir));
    expect(left).toEqual([]);
  });
});
