// Integration (root): the agent realizes tasks with the native core. A task runs (secret mounted from the
// tmpfs, health checked inside the container), stops with its stop signal; an agent that goes away and comes
// back adopts the running container without restarting it and reports its real exit later.
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TaskState, type AgentMessage, type AssignmentSet, type Task } from '@tsstack/model';
import { ImageStore } from '@tsstack/image';
import { ContainerRuntime } from '@tsstack/runtime';
import { cleanupAgent, runtimeStateRoot, startAgent } from '@tsstack/node-agent';
import { busyboxImage, BUSYBOX_REFERENCE, requireRoot } from '@tsstack/testkit';
import { assignedTask, serviceSpec } from '../fixtures/service-spec';
import { fakeController, JOIN, type FakeController } from './fake-controller';

function set(version: number, tasks: Task[], secrets: AssignmentSet['secrets'] = {}): AssignmentSet {
  return { version, tasks, networks: [], volumes: [], configs: {}, secrets, ingress: [] };
}

const statusOf = (m: AgentMessage) => (m.type === 'task.status' ? m.status : undefined);

describe('node agent with the native runtime (root)', () => {
  let ctl: FakeController;
  let stateDir: string;
  const closers: Array<() => Promise<void>> = [];

  beforeAll(() => requireRoot());
  beforeEach(async () => {
    ctl = await fakeController();
    stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tsstack-agent-rt-'));
    const bb = await busyboxImage();
    await new ImageStore({ root: path.join(stateDir, 'images') }).importOciLayout(
      bb.ociLayout,
      BUSYBOX_REFERENCE,
    );
  });
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
    await ctl.close();
    await cleanupAgent(stateDir);
    // Nothing of the agent is left: no runtime dir, namespace dir or mount.
    const root = runtimeStateRoot(stateDir);
    expect(existsSync(root)).toBe(false);
    expect(existsSync(`${root}-netns`)).toBe(false);
    expect(existsSync(`${root}.seccomp-cache`)).toBe(false);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(root);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(stateDir);
  });

  const waitStatus = (
    taskId: string,
    pred: (s: NonNullable<ReturnType<typeof statusOf>>) => boolean,
    ms = 15000,
  ) => ctl.waitFor((m) => m.type === 'task.status' && m.taskId === taskId && pred(m.status), ms);

  it('runs a task with its secret and health check, then stops it with its stop signal', async () => {
    const agent = await startAgent({
      controllerUrl: ctl.url,
      joinToken: JOIN,
      stateDir,
      cgroupParent: '/tsstack-agent-test',
    });
    closers.push(() => agent.close());
    const spec = serviceSpec({
      command: ['sh', '-c', 'trap "echo got USR1; exit 0" USR1; while true; do sleep 0.1; done'],
      secrets: [{ source: 'token', target: 'token', uid: '0', gid: '0', mode: 0o400 }],
      healthcheck: { test: ['CMD-SHELL', 'test -f /run/secrets/token'], intervalMs: 200, timeoutMs: 1000, retries: 2, startPeriodMs: 0, startIntervalMs: 200 }, // prettier-ignore
      stopSignal: 'SIGUSR1',
      init: true,
    });
    const t = assignedTask('web-1', spec);
    ctl.send({ type: 'assignments.full', set: set(1, [t], { s_token: { name: 'token', external: false, content: Buffer.from('tok').toString('base64'), labels: {} } }) }); // prettier-ignore
    await waitStatus('web-1', (s) => s.state === TaskState.Running);
    await waitStatus('web-1', (s) => s.health === 'healthy');
    const rt = new ContainerRuntime({ stateRoot: runtimeStateRoot(stateDir) });
    const secret = await rt.execCollect('web-1', { args: ['cat', '/run/secrets/token'] });
    expect(secret.stdout).toBe('tok');
    ctl.send({ type: 'assignments.delta', baseVersion: 1, version: 2, upsertTasks: [{ ...t, desiredState: TaskState.Shutdown }], removeTasks: [], upsertNetworks: [], removeNetworks: [] }); // prettier-ignore
    await waitStatus('web-1', (s) => s.state === TaskState.Shutdown);
    const logs: string[] = [];
    for await (const e of rt.logs('web-1')) logs.push(e.line);
    expect(logs).toContain('got USR1');
  });

  it('applies a service’s seccomp profile (security_opt: seccomp=FILE) to the program and the sealed init', async () => {
    const agent = await startAgent({ controllerUrl: ctl.url, joinToken: JOIN, stateDir });
    closers.push(() => agent.close());
    const spec = serviceSpec({
      command: ['sh', '-c', 'mkdir /made 2>&1; touch /file && echo touched; exec sleep 60'],
      securityOpt: ['seccomp=/etc/profiles/no-mkdir.json'],
      seccompProfile: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] }, // prettier-ignore
      init: true,
    });
    ctl.send({ type: 'assignments.full', set: set(1, [assignedTask('sec-1', spec)]) });
    await waitStatus('sec-1', (s) => s.state === TaskState.Running);
    const rt = new ContainerRuntime({ stateRoot: runtimeStateRoot(stateDir) });
    const logs: string[] = [];
    for await (const e of rt.logs('sec-1', { follow: true, signal: AbortSignal.timeout(5000) })) {
      logs.push(e.line);
      if (e.line === 'touched') break;
    }
    expect(logs).toEqual(["mkdir: can't create directory '/made': Permission denied", 'touched']);
    const pid1 = await rt.execCollect('sec-1', {
      args: ['grep', '-E', '^(Name|Seccomp):', '/proc/1/status'],
    });
    expect(pid1.stdout.trim().split('\n')).toEqual(['Name:\ttsstack-init', 'Seccomp:\t2']);
  });

  it('answers the controller’s logs, exec (with stdin), stats and top requests for a task', async () => {
    const agent = await startAgent({ controllerUrl: ctl.url, joinToken: JOIN, stateDir });
    closers.push(() => agent.close());
    const t = assignedTask(
      'svc-1',
      serviceSpec({ command: ['sh', '-c', 'echo hello from svc; exec sleep 60'] }),
    );
    ctl.send({ type: 'assignments.full', set: set(1, [t]) });
    await waitStatus('svc-1', (s) => s.state === TaskState.Running);
    await new Promise((r) => setTimeout(r, 200));
    const responses = (id: string) => ctl.received.filter((m) => m.type === 'response' && m.requestId === id) as Array<{ done: boolean; data?: unknown; error?: string }>; // prettier-ignore
    const ask = async (
      requestId: string,
      op: 'logs' | 'exec' | 'stats' | 'top',
      args: Record<string, unknown>,
    ) => {
      ctl.send({ type: 'request', requestId, op, taskId: 'svc-1', args });
      await ctl.waitFor((m) => m.type === 'response' && m.requestId === requestId && m.done);
      return responses(requestId);
    };
    const logs = await ask('r-logs', 'logs', { tail: 10 });
    expect(logs.flatMap((r) => (r.data as Array<{ line: string }> | undefined) ?? []).map((e) => e.line)).toEqual(['hello from svc']); // prettier-ignore
    ctl.send({ type: 'request', requestId: 'r-exec', op: 'exec', taskId: 'svc-1', args: { cmd: ['sh', '-c', 'read x; echo got $x; exit 3'], stdin: true } }); // prettier-ignore
    await new Promise((r) => setTimeout(r, 300));
    ctl.send({ type: 'request', requestId: 'r-in', op: 'exec.stdin', taskId: 'svc-1', args: { execId: 'r-exec', data: Buffer.from('ping\n').toString('base64') } }); // prettier-ignore
    await ctl.waitFor((m) => m.type === 'response' && m.requestId === 'r-exec' && m.done);
    const exec = responses('r-exec');
    const out = exec.filter((r) => !r.done).map((r) => Buffer.from((r.data as { data: string }).data, 'base64').toString()).join(''); // prettier-ignore
    expect(out).toBe('got ping\n');
    expect(exec.at(-1)!.data).toEqual({ exitCode: 3 });
    const stats = (await ask('r-stats', 'stats', {})).at(-1)!.data as {
      pids: number;
      memoryUsageBytes: number;
    };
    expect(stats.pids).toBe(1);
    expect(stats.memoryUsageBytes).toBeGreaterThan(0);
    const top = (await ask('r-top', 'top', {})).at(-1)!.data as Array<{ command: string }>;
    expect(top.map((p) => p.command)).toEqual(['sleep 60']);
  });

  it('an agent that comes back adopts the running container (same pid) and reports its real exit later', async () => {
    const first = await startAgent({ controllerUrl: ctl.url, joinToken: JOIN, stateDir });
    const spec = serviceSpec({
      command: ['sh', '-c', 'while [ ! -f /tmp/stop ]; do sleep 0.1; done; exit 4'],
    });
    const t = assignedTask('job-1', spec);
    ctl.send({ type: 'assignments.full', set: set(1, [t]) });
    const running = statusOf(await waitStatus('job-1', (s) => s.state === TaskState.Running))!;
    await first.close();
    const before = ctl.received.length;
    const second = await startAgent({ controllerUrl: ctl.url, joinToken: JOIN, stateDir });
    closers.push(() => second.close());
    ctl.send({ type: 'assignments.full', set: set(2, [{ ...t, status: running }]) });
    const rt = new ContainerRuntime({ stateRoot: runtimeStateRoot(stateDir) });
    await new Promise((r) => setTimeout(r, 500));
    const info = await rt.inspect('job-1');
    expect(info.pid).toBe(running.pid);
    await rt.execCollect('job-1', { args: ['touch', '/tmp/stop'] });
    const failed = statusOf(await waitStatus('job-1', (s) => s.state === TaskState.Failed))!;
    expect(failed.exitCode).toBe(4);
    const after = ctl.received
      .slice(before)
      .map(statusOf)
      .filter((s) => s !== undefined);
    expect(after.some((s) => s.state === TaskState.Starting)).toBe(false);
  });
});
