// Integration (root): the agent as a separate process (`node bin/tsstack.js node-agent`, needs
// `npm run build:ts`). SIGKILL it after joining; a new process on the same state dir rejoins as the same node
// with its stored credential; `--cleanup` unmounts the secrets tmpfs and removes the state dir, and refuses
// while the agent still runs.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { requireRoot } from '@tsstack/testkit';
import { cleanupAgent, runtimeStateRoot } from '@tsstack/node-agent';
import { createTaskNetns } from '@tsstack/network';
import { fakeController, JOIN, type FakeController } from './fake-controller';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'tsstack.js');
const MAIN = path.join(ROOT, 'dist', 'apps', 'cli', 'src', 'main.js');

describe('node-agent process (root)', () => {
  let ctl: FakeController;
  let stateDir: string;
  const procs: ChildProcess[] = [];

  beforeAll(() => {
    requireRoot();
    if (!existsSync(MAIN)) throw new Error(`${MAIN} missing: run \`npm run build:ts\` before this test`);
  });
  beforeEach(async () => {
    ctl = await fakeController();
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'tsstack-agent-proc-'));
  });
  afterEach(async () => {
    const left = procs.splice(0).filter((p) => p.exitCode === null && p.signalCode === null);
    for (const p of left) p.kill('SIGKILL');
    await Promise.all(left.map(exited));
    await ctl.close();
    await cleanupAgent(stateDir);
  });

  const agent = (token: string) => {
    const p = spawn(
      process.execPath,
      [BIN, 'node-agent', '--controller', ctl.url, '--token', token, '--state-dir', stateDir],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    procs.push(p);
    return p;
  };
  const exited = (p: ChildProcess) =>
    new Promise<void>((r) =>
      p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r()),
    );

  it('survives SIGKILL: a new process rejoins as the same node; --cleanup leaves nothing', async () => {
    const a = agent(JOIN);
    await ctl.waitFor((m) => m.type === 'heartbeat', 15000);
    a.kill('SIGKILL');
    await exited(a);
    const before = ctl.received.length;
    agent('not-the-token');
    const hello = await ctl.waitFor((m) => m.type === 'hello' && ctl.received.indexOf(m) >= before, 15000);
    expect(hello).toMatchObject({ nodeId: 'node-1', credential: 'cred-1' });
    expect((hello as { joinToken?: string }).joinToken).toBeUndefined();
    await ctl.waitFor((m) => m.type === 'heartbeat' && ctl.received.indexOf(m) > before, 15000);
    for (const p of procs) p.kill('SIGKILL');
    await Promise.all(procs.map(exited));
    expect(readFileSync('/proc/self/mounts', 'utf8')).toContain(path.join(stateDir, 'secrets'));
    const r = spawnSync(process.execPath, [BIN, 'node-agent', '--cleanup', '--state-dir', stateDir], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(readFileSync('/proc/self/mounts', 'utf8')).not.toContain(stateDir);
    expect(existsSync(stateDir)).toBe(false);
  });

  it('--cleanup refuses while the agent runs and touches nothing; once it is stopped it goes ahead', async () => {
    const a = agent(JOIN);
    await ctl.waitFor((m) => m.type === 'heartbeat', 15000);
    const r = spawnSync(process.execPath, [BIN, 'node-agent', '--cleanup', '--state-dir', stateDir], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      `another tsstack agent (pid ${a.pid}, state dir ${path.join(stateDir, 'network')}) manages the networks`,
    );
    expect(readFileSync('/proc/self/mounts', 'utf8')).toContain(path.join(stateDir, 'secrets'));
    expect(existsSync(path.join(stateDir, 'node.json'))).toBe(true);

    // SIGTERM and, without waiting, --cleanup: it waits for the agent to let go of the host.
    a.kill('SIGTERM');
    const after = spawnSync(process.execPath, [BIN, 'node-agent', '--cleanup', '--state-dir', stateDir], {
      encoding: 'utf8',
    });
    expect(after.stderr).toBe('');
    expect(after.status).toBe(0);
    expect(existsSync(stateDir)).toBe(false);
  });

  it('--cleanup removes task namespaces also when the network state is lost', async () => {
    const netnsDir = `${runtimeStateRoot(stateDir)}-netns`;
    const ns = await createTaskNetns('lostnetstate1', netnsDir);
    expect(readFileSync('/proc/self/mounts', 'utf8')).toContain(ns);
    expect(existsSync(path.join(stateDir, 'network'))).toBe(false);
    const r = spawnSync(process.execPath, [BIN, 'node-agent', '--cleanup', '--state-dir', stateDir], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync('/proc/self/mounts', 'utf8')).not.toContain(netnsDir);
    expect(existsSync(netnsDir)).toBe(false);
    expect(existsSync(stateDir)).toBe(false);
  });

  it('wrong token: the process exits 1 and says why', async () => {
    const p = agent('wrong');
    let err = '';
    p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    await exited(p);
    expect(p.exitCode).toBe(1);
    expect(err).toMatch(/refused this agent: invalid join token/);
  });
});
