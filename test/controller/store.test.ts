// Integration: libs/store against a real redis-server it starts itself (the embedded driver): versioned writes
// refuse stale writers, task status only moves forward and only from its node, events are capped and resumable,
// the leader lease fences writers, and a Redis restart (AOF) loses nothing; while Redis is away, 503-style
// UnavailableError.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type Redis from 'ioredis';
import { ConflictError, TaskState, UnavailableError, type StackSpec, type Task } from '@tsstack/model';
import { requireCommand } from '@tsstack/testkit';
import { taskRow } from '../../apps/controller/src/domain/service-ops.service';
import {
  FenceLostError,
  StateStore,
  connectRedis,
  startRedisServer,
  type RedisServerHandle,
  type StackRecord,
} from '@tsstack/store';

function stack(name: string, version: number): StackRecord {
  const spec = { name, services: {}, networks: {}, volumes: {}, configs: {}, secrets: {} } as StackSpec;
  return { name, version, spec, createdAt: 1, updatedAt: 1 };
}

function task(id: string, nodeId: string, state = TaskState.Assigned): Task {
  return {
    id,
    stack: 's',
    service: 'web',
    slot: 1,
    nodeId,
    specVersion: 1,
    specHash: 'h',
    spec: { name: 'web' } as Task['spec'],
    desiredState: TaskState.Running,
    status: { state, message: 'assigned', health: 'none', timestamp: 1 },
    networks: [],
    createdAt: 1,
    updatedAt: 1,
  };
}

describe('libs/store against a real redis-server', () => {
  let dir: string;
  let server: RedisServerHandle;
  let redis: Redis;
  let store: StateStore;

  beforeAll(async () => {
    requireCommand('redis-server', 'redis-server');
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tsstack-store-'));
    server = await startRedisServer(path.join(dir, 'redis'));
    redis = await connectRedis(server.url);
    store = new StateStore(redis, { eventsMaxLen: 200 });
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('runs on a unix socket with a password in a 0600 file and AOF on', async () => {
    expect(server.url).toMatch(/^unix:\/\//);
    expect((await fs.stat(path.join(dir, 'redis', 'password'))).mode & 0o777).toBe(0o600);
    const cfg = (await redis.config('GET', 'appendonly')) as string[];
    expect(cfg[1]).toBe('yes');
    expect(((await redis.config('GET', 'port')) as string[])[1]).toBe('0');
  });

  it('refuses a stale versioned write with ConflictError and applies a fresh one', async () => {
    await store.apply({ expect: [{ kind: 'stack', id: 'a', version: 0 }], stacks: [stack('a', 1)] });
    await expect(
      store.apply({ expect: [{ kind: 'stack', id: 'a', version: 0 }], stacks: [stack('a', 1)] }),
    ).rejects.toBeInstanceOf(ConflictError);
    await store.apply({ expect: [{ kind: 'stack', id: 'a', version: 1 }], stacks: [stack('a', 2)] });
    expect((await store.getStack('a'))!.version).toBe(2);
    // Two writers racing from the same read: exactly one wins.
    const results = await Promise.allSettled(
      [3, 3].map((v) =>
        store.apply({ expect: [{ kind: 'stack', id: 'a', version: 2 }], stacks: [stack('a', v)] }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
  });

  it('task status moves only forward and only from the task node, with events', async () => {
    const before = await store.lastEventId();
    await store.apply({ tasks: [task('t1', 'n1')], events: [{ type: 'task.created', task: 't1' }] });
    const st = (state: TaskState) => ({ state, message: 'x', health: 'none' as const, timestamp: 2 });
    expect(await store.reportStatus('t1', 'n1', st(TaskState.Running))).toBe('applied');
    expect(await store.reportStatus('t1', 'n1', st(TaskState.Starting))).toBe('stale');
    expect(await store.reportStatus('t1', 'n2', st(TaskState.Failed))).toBe('foreign');
    expect(await store.reportStatus('nope', 'n1', st(TaskState.Failed))).toBe('unknown');
    expect((await store.getTask('t1'))!.status.state).toBe(TaskState.Running);
    // A controller write keeps the agent's newer status.
    await store.apply({ tasks: [{ ...task('t1', 'n1'), desiredState: TaskState.Shutdown }] });
    const t = (await store.getTask('t1'))!;
    expect(t.desiredState).toBe(TaskState.Shutdown);
    expect(t.status.state).toBe(TaskState.Running);
    const evs = await store.readEvents(before);
    expect(evs.map((e) => e.type)).toEqual(['task.created', 'task.state']);
    expect(evs[1]).toMatchObject({ from: 'assigned', to: 'running', task: 't1', node: 'n1' });
    expect(evs[0]!.id < evs[1]!.id).toBe(true);
  });

  it('a failed report without startedAt keeps the one the running report gave (TaskRow.startedAt)', async () => {
    await store.apply({ tasks: [task('ts1', 'n1')] });
    const started = 1_763_900_000_123;
    const base = { message: 'x', health: 'none' as const, timestamp: 2 };
    await store.reportStatuses([
      { taskId: 'ts1', nodeId: 'n1', status: { ...base, state: TaskState.Running, startedAt: started, containerId: 'c9' } }, // prettier-ignore
      { taskId: 'ts1', nodeId: 'n1', status: { ...base, state: TaskState.Failed, error: 'boom', finishedAt: started + 5 } }, // prettier-ignore
    ]);
    const t = (await store.getTask('ts1'))!;
    expect(t.status).toMatchObject({
      state: TaskState.Failed,
      startedAt: started,
      containerId: 'c9',
      error: 'boom',
    });
    expect(taskRow(t).startedAt).toBe(new Date(started).toISOString());
  });

  it('resumes the event stream from an id with no gap and no duplicate, capped', async () => {
    const start = await store.lastEventId();
    for (let i = 0; i < 30; i++)
      await store.apply({ events: [{ type: 'stack.updated', message: String(i) }] });
    const first = await store.readEvents(start, 10);
    const rest = await store.readEvents(first[first.length - 1]!.id, 1000);
    expect([...first, ...rest].map((e) => e.message)).toEqual(
      Array.from({ length: 30 }, (_, i) => String(i)),
    );
    for (let i = 0; i < 600; i++) await store.apply({ events: [{ type: 'stack.updated' }] });
    expect(await redis.xlen('ts:events')).toBeLessThan(500);
  });

  it('leader lease: one holder, renewals, takeover after expiry with a higher epoch, stale fence refused', async () => {
    const a = await store.lease('ctl-a', 300);
    expect(a).toMatch(/^ctl-a#\d+$/);
    expect(await store.lease('ctl-b', 300)).toBeUndefined();
    expect(await store.lease('ctl-a', 300)).toBe(a);
    await store.apply({ fence: a, events: [{ type: 'controller.leader' }] });
    await new Promise((r) => setTimeout(r, 400));
    const b = await store.lease('ctl-b', 300);
    expect(b).toMatch(/^ctl-b#\d+$/);
    expect(Number(b!.split('#')[1])).toBeGreaterThan(Number(a!.split('#')[1]));
    await expect(store.apply({ fence: a, tasks: [task('t9', 'n1')] })).rejects.toBeInstanceOf(FenceLostError);
    expect(await store.getTask('t9')).toBeUndefined();
    await store.releaseLease(b!);
    expect(await store.currentLeader()).toBeUndefined();
  });

  it('answers UnavailableError while Redis is down and loses nothing across a restart (AOF)', async () => {
    await store.apply({ stacks: [stack('keep', 1)], tasks: [task('t-keep', 'n1')] });
    await server.stop();
    await expect(store.getStack('keep')).rejects.toBeInstanceOf(UnavailableError);
    await expect(store.apply({ stacks: [stack('x', 1)] })).rejects.toBeInstanceOf(UnavailableError);
    server = await startRedisServer(path.join(dir, 'redis'));
    const deadline = Date.now() + 5000;
    while (redis.status !== 'ready' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect((await store.getStack('keep'))!.version).toBe(1);
    expect((await store.getTask('t-keep'))!.nodeId).toBe('n1');
  });
});
