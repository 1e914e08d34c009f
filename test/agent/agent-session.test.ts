// Integration (root): the real agent (startAgent) against a loopback WebSocket server speaking the
// controller<->agent protocol of libs/model, standing in for apps/controller so the agent is tested alone; it checks join + stored credential, wrong token refused, reconnect with the credential, full set and
// delta gap -> resync, tasks rejected with a reason, secrets only on tmpfs, and cleanup leaving nothing.
import { promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TaskState, type Task, type ServiceSpec } from '@tsstack/model';
import { requireRoot, busyboxImage, BUSYBOX_REFERENCE } from '@tsstack/testkit';
import { assignedTask, serviceSpec } from '../fixtures/service-spec';
import { ImageStore } from '@tsstack/image';
import { startAgent, cleanupAgent, AgentJoinError, writeSecret } from '@tsstack/node-agent';

import { fakeController, JOIN, type FakeController } from './fake-controller';

function task(id: string, image = 'busybox', pullPolicy: ServiceSpec['pullPolicy'] = 'never'): Task {
  return assignedTask(id, serviceSpec({ image, pullPolicy, command: ['sleep', '30'] }));
}

describe('node agent session (root)', () => {
  let ctl: FakeController;
  let stateDir: string;
  const closers: Array<() => Promise<void>> = [];

  beforeAll(() => requireRoot());
  beforeEach(async () => {
    ctl = await fakeController();
    stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tsstack-agent-'));
  });
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
    await ctl.close();
    await cleanupAgent(stateDir);
  });

  it('joins with the token, stores id + credential (0600), heartbeats, reconnects with the credential', async () => {
    const agent = await startAgent({
      controllerUrl: ctl.url,
      joinToken: JOIN,
      stateDir,
      labels: { zone: 'a' },
    });
    closers.push(() => agent.close());
    expect(agent.nodeId).toBe('node-1');
    const id = JSON.parse(readFileSync(path.join(stateDir, 'node.json'), 'utf8'));
    expect(id).toMatchObject({ nodeId: 'node-1', credential: 'cred-1' });
    expect((await fs.stat(path.join(stateDir, 'node.json'))).mode & 0o777).toBe(0o600);
    await ctl.waitFor((m) => m.type === 'heartbeat');
    // Drop the connection: the agent comes back with node id + credential, not the join token.
    ctl.sockets[0]!.terminate();
    const hello2 = await ctl.waitFor((m) => m.type === 'hello' && m.nodeId === 'node-1');
    expect(hello2).toMatchObject({ credential: 'cred-1' });
    expect((hello2 as { joinToken?: string }).joinToken).toBeUndefined();
  });

  it('a new agent on the same state dir rejoins as the same node with its credential', async () => {
    const first = await startAgent({ controllerUrl: ctl.url, joinToken: JOIN, stateDir });
    await first.close();
    const second = await startAgent({ controllerUrl: ctl.url, joinToken: 'stale-token-ignored', stateDir });
    closers.push(() => second.close());
    expect(second.nodeId).toBe(first.nodeId);
    const hellos = ctl.received.filter((m) => m.type === 'hello');
    expect(hellos).toHaveLength(2);
    expect(hellos[1]).toMatchObject({ nodeId: 'node-1', credential: 'cred-1' });
  });

  it('with several controller addresses, one that is down is passed over', async () => {
    const agent = await startAgent({
      controllerUrl: `http://127.0.0.1:9,${ctl.url}`,
      joinToken: JOIN,
      stateDir,
    });
    closers.push(() => agent.close());
    expect(agent.nodeId).toBe('node-1');
  });

  it('wrong token is refused with a typed error', async () => {
    await expect(startAgent({ controllerUrl: ctl.url, joinToken: 'wrong', stateDir })).rejects.toBeInstanceOf(
      AgentJoinError,
    );
    expect(readFileSync('/proc/self/mounts', 'utf8')).not.toContain(stateDir);
  });

  it('reports task status (rejected with the reason) and asks a resync on a delta gap', async () => {
    const agent = await startAgent({ controllerUrl: ctl.url, joinToken: JOIN, stateDir });
    closers.push(() => agent.close());
    ctl.send({
      type: 'assignments.full',
      set: {
        version: 1,
        tasks: [task('t1')],
        networks: [],
        volumes: [],
        configs: {},
        secrets: {},
        ingress: [],
      },
    });
    const rej = await ctl.waitFor((m) => m.type === 'task.status' && m.status.state === TaskState.Rejected);
    expect(rej).toMatchObject({ taskId: 't1' });
    expect((rej as { status: { error: string } }).status.error).toMatch(/image busybox.*not found/);
    ctl.send({
      type: 'assignments.delta',
      baseVersion: 7,
      version: 8,
      upsertTasks: [],
      removeTasks: [],
      upsertNetworks: [],
      removeNetworks: [],
    });
    await ctl.waitFor((m) => m.type === 'resync');
    // Statuses only move forward.
    const states = ctl.received
      .filter((m) => m.type === 'task.status')
      .map((m) => (m as { status: { state: number } }).status.state);
    expect([...states].sort((a, b) => a - b)).toEqual(states);
  });

  it('prepares a real image (busybox imported into the agent store); a nonexistent image is rejected with the reason', async () => {
    const bb = await busyboxImage();
    const store = new ImageStore({ root: path.join(stateDir, 'images') });
    await store.importOciLayout(bb.ociLayout, BUSYBOX_REFERENCE);
    const agent = await startAgent({ controllerUrl: ctl.url, joinToken: JOIN, stateDir });
    closers.push(() => agent.close());
    ctl.send({
      type: 'assignments.full',
      set: {
        version: 1,
        tasks: [task('good', BUSYBOX_REFERENCE), task('bad', 'tsstack.test/nosuch:1')],
        networks: [],
        volumes: [],
        configs: {},
        secrets: {},
        ingress: [],
      },
    });
    const states = (id: string) =>
      ctl.received
        .filter((m) => m.type === 'task.status' && m.taskId === id)
        .map((m) => (m as { status: { state: number } }).status.state);
    const bad = await ctl.waitFor(
      (m) => m.type === 'task.status' && m.taskId === 'bad' && m.status.state === TaskState.Rejected,
    );
    expect((bad as { status: { error: string } }).status.error).toMatch(
      /tsstack\.test\/nosuch:1.*not found/i,
    );
    expect(states('bad')).not.toContain(TaskState.Preparing);
    const good = await ctl.waitFor(
      (m) => m.type === 'task.status' && m.taskId === 'good' && m.status.state === TaskState.Running,
    );
    expect(states('good')).toEqual([TaskState.Accepted, TaskState.Preparing, TaskState.Ready, TaskState.Starting, TaskState.Running]); // prettier-ignore
    expect((good as { status: { containerId: string } }).status.containerId).toBe('good');
    await expect(fs.stat(path.join(stateDir, 'images', 'containers', 'good'))).resolves.toBeTruthy();
  });

  it('secrets live only on the tmpfs; cleanup unmounts it and leaves nothing', async () => {
    const agent = await startAgent({ controllerUrl: ctl.url, joinToken: JOIN, stateDir });
    const secretDir = path.join(stateDir, 'secrets');
    const file = await writeSecret(secretDir, 't1', 'db_password', 'S3CR3T-never-on-disk', 0o400);
    expect(readFileSync(file, 'utf8')).toBe('S3CR3T-never-on-disk');
    expect((await fs.stat(file)).mode & 0o777).toBe(0o400);
    const mounts = readFileSync('/proc/self/mounts', 'utf8');
    expect(mounts).toMatch(new RegExp(`tsstack-secrets ${secretDir} tmpfs`));
    await agent.close();
    // The secret stays readable for containers (tmpfs) until cleanup; then mount and dir are gone.
    await cleanupAgent(stateDir);
    expect(readFileSync('/proc/self/mounts', 'utf8')).not.toContain(secretDir);
    await expect(fs.stat(stateDir)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
