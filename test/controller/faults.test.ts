// Integration: faults. A dead node's tasks run elsewhere (default 2 s heartbeats, 3 misses: under 10 s);
// drain moves tasks off a node; two controllers on one Redis have exactly one reconcile leader and the other
// takes over when it dies; Redis restarted mid-run: changes get 503 meanwhile, nothing is lost or restarted.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { requireCommand } from '@tsstack/testkit';
import type { TaskRow } from '@tsstack/model';
import { StateStore, connectRedis, startRedisServer, type RedisServerHandle } from '@tsstack/store';
import WebSocket from 'ws';
import { FakeAgent } from './fake-agent';
import { ctl, service, tempDir, waitFor, type Ctl } from './controller-kit';

const running = async (c: Ctl, stack: string) =>
  (await c.api<TaskRow[]>('GET', `/v1/tasks?stack=${stack}`)).body.filter((t) => t.state === 'running');

describe('faults (controller + fake agents)', () => {
  const cleanup: Array<() => Promise<void>> = [];
  beforeAll(() => requireCommand('redis-server', 'redis-server'));
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f().catch(() => undefined);
  });

  it('reschedules the tasks of a dead node in under 10 s with default heartbeats; drain moves tasks off', async () => {
    const dir = await tempDir('tsstack-loss-');
    cleanup.push(() => fs.rm(dir, { recursive: true, force: true }));
    const c = await ctl(dir, { heartbeatMs: 2000, nodeDownAfterMisses: 3 });
    cleanup.push(() => c.close());
    const agents: FakeAgent[] = [];
    for (const h of ['a', 'b', 'c']) agents.push(await FakeAgent.join(c.url, c.joinToken, { hostname: h }));
    cleanup.push(async () => agents.forEach((a) => a.kill()));
    await c.api('PUT', '/v1/stacks/s', { stack: { services: { web: service('img', 6) } } });
    await waitFor('6 running', async () => (await running(c, 's')).length === 6);
    const dead = agents[0]!;
    const t0 = Date.now();
    dead.kill();
    await waitFor(
      'rescheduled',
      async () => {
        const r = await running(c, 's');
        return r.length === 6 && r.every((t) => t.node !== dead.nodeId);
      },
      12_000,
    );
    const took = Date.now() - t0;
    expect(took).toBeLessThan(10_000);
    process.stdout.write(`node loss -> rescheduled in ${took} ms\n`);
    const node = (await c.api<{ status: string }>('GET', `/v1/nodes/${dead.nodeId}`)).body;
    expect(node.status).toBe('down');
    // Drain b: its tasks go to c.
    const b = agents[1]!;
    expect(
      (await c.api('PATCH', `/v1/nodes/${b.nodeId}`, { availability: 'drain', labelAdd: { x: '1' } })).status,
    ).toBe(200);
    await waitFor('drained', async () => {
      const r = await running(c, 's');
      return r.length === 6 && r.every((t) => t.node === agents[2]!.nodeId);
    });
    expect((await c.api('DELETE', `/v1/nodes/${b.nodeId}`)).status).toBe(409);
    expect((await c.api('DELETE', `/v1/nodes/${dead.nodeId}`)).status).toBe(200);
  }, 60_000);

  it('two controllers: exactly one leader, failover within the lease, both serve API and agents', async () => {
    const dir = await tempDir('tsstack-ha-');
    cleanup.push(() => fs.rm(dir, { recursive: true, force: true }));
    const redis = await startRedisServer(path.join(dir, 'redis'));
    cleanup.push(() => redis.stop());
    const a = await ctl(path.join(dir, 'a'), { redisUrl: redis.url, leaseMs: 1000 });
    let aClosed = false;
    cleanup.push(() => (aClosed ? Promise.resolve() : a.close()));
    const b = await ctl(path.join(dir, 'b'), { redisUrl: redis.url, leaseMs: 1000 });
    cleanup.push(() => b.close());
    expect(b.token).toBe(a.token); // shared through Redis
    expect(b.joinToken).toBe(a.joinToken);
    await waitFor('one leader', async () => Number(a.isLeader()) + Number(b.isLeader()) === 1);
    const leader = a.isLeader() ? a : b;
    const other = leader === a ? b : a;
    // Agents on both controllers.
    const agents = [
      await FakeAgent.join(a.url, a.joinToken, { hostname: 'x' }),
      await FakeAgent.join(b.url, b.joinToken, { hostname: 'y' }),
    ];
    cleanup.push(async () => agents.forEach((g) => g.kill()));
    await other.api('PUT', '/v1/stacks/ha', { stack: { services: { web: service('img', 4) } } });
    await waitFor('4 running', async () => (await running(leader, 'ha')).length === 4);
    expect(new Set((await running(other, 'ha')).map((t) => t.node)).size).toBe(2);
    // Logs of tasks whose agents sit on either controller, asked through one of them (relayed via Redis).
    for (const via of [a, b]) {
      const logs = await via.api<string>('GET', '/v1/services/ha/web/logs');
      const lines = String(logs.body)
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { line: string });
      expect(lines).toHaveLength(4);
      expect(lines.every((l) => l.line.startsWith('log of '))).toBe(true);
    }
    for (let i = 0; i < 5; i++) {
      expect(Number(a.isLeader()) + Number(b.isLeader())).toBe(1);
      await new Promise((r) => setTimeout(r, 100));
    }
    // The leader dies without a word (its lease is left to expire; its agent moves to the survivor, as a
    // real agent reconnects): the other takes over within the lease time.
    const t0 = Date.now();
    if (leader === a) aClosed = true;
    await leader.crash();
    await waitFor('takeover', async () => other.isLeader(), 5000);
    const took = Date.now() - t0;
    expect(took).toBeLessThan(1000 + 400); // lease 1000 ms + one renew period
    process.stdout.write(`leader crash -> takeover in ${took} ms (lease 1000 ms)\n`);
    const moved = agents[leader === a ? 0 : 1]!;
    moved.kill();
    (moved as unknown as { url: string }).url = other.url;
    await moved.connect();
    await other.api('POST', '/v1/services/ha/web/scale', { replicas: 6 });
    await waitFor('6 running after failover', async () => (await running(other, 'ha')).length === 6);
  }, 60_000);

  it('Redis restarted mid-run: 503 for changes meanwhile, no task restarted, nothing lost', async () => {
    const dir = await tempDir('tsstack-rr-');
    cleanup.push(() => fs.rm(dir, { recursive: true, force: true }));
    let redis: RedisServerHandle = await startRedisServer(path.join(dir, 'redis'));
    cleanup.push(() => redis.stop());
    const c = await ctl(path.join(dir, 'c'), { redisUrl: redis.url });
    cleanup.push(() => c.close());
    const agents = [
      await FakeAgent.join(c.url, c.joinToken, { hostname: 'p' }),
      await FakeAgent.join(c.url, c.joinToken, { hostname: 'q' }),
    ];
    cleanup.push(async () => agents.forEach((g) => g.kill()));
    await c.api('PUT', '/v1/stacks/rr', { stack: { services: { web: service('img', 4) } } });
    await waitFor('4 running', async () => (await running(c, 'rr')).length === 4);
    const before = (await running(c, 'rr')).map((t) => t.task).sort();
    await redis.stop();
    const r = await c.api<{ error: { code: string } }>('POST', '/v1/services/rr/web/scale', { replicas: 5 });
    expect(r.status).toBe(503);
    expect(r.body.error.code).toBe('UNAVAILABLE');
    expect(
      (await c.api('PUT', '/v1/stacks/rr2', { stack: { services: { web: service('img', 1) } } })).status,
    ).toBe(503);
    await new Promise((res) => setTimeout(res, 1500)); // several missed heartbeats and rounds
    expect(agents.reduce((n, g) => n + g.running().length, 0)).toBe(4);
    redis = await startRedisServer(path.join(dir, 'redis'));
    await waitFor('api back', async () => (await c.api('GET', '/v1/stacks')).status === 200);
    expect((await running(c, 'rr')).map((t) => t.task).sort()).toEqual(before);
    await c.api('POST', '/v1/services/rr/web/scale', { replicas: 5 });
    await waitFor('5 running', async () => (await running(c, 'rr')).length === 5);
    const after = (await running(c, 'rr')).map((t) => t.task);
    expect(before.every((id) => after.includes(id))).toBe(true);
    expect(agents.reduce((n, g) => n + g.running().length, 0)).toBe(5);
  }, 60_000);

  it('cuts off an events client that does not read, with the reason and the id to resume from', async () => {
    const dir = await tempDir('tsstack-slow-');
    cleanup.push(() => fs.rm(dir, { recursive: true, force: true }));
    const redis = await startRedisServer(path.join(dir, 'redis'));
    cleanup.push(() => redis.stop());
    const c = await ctl(path.join(dir, 'c'), { redisUrl: redis.url, eventsSlowClientBytes: 64 * 1024 });
    cleanup.push(() => c.close());
    const ws = new WebSocket(`${c.url.replace('http', 'ws')}/v1/events`, {
      headers: { authorization: `Bearer ${c.token}` },
    });
    await new Promise((r) => ws.once('open', r));
    (ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    const conn = await connectRedis(redis.url);
    cleanup.push(async () => conn.disconnect());
    const store = new StateStore(conn);
    const big = 'x'.repeat(500);
    for (let i = 0; i < 10; i++) {
      await store.apply({
        events: Array.from({ length: 2000 }, () => ({ type: 'stack.updated' as const, message: big })),
      });
    }
    await new Promise((r) => setTimeout(r, 1500));
    let received = 0;
    ws.on('message', () => received++);
    const closed = new Promise<{ code: number; reason: string }>((r) =>
      ws.once('close', (code, reason) => r({ code, reason: String(reason) })),
    );
    (ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const how = await closed;
    expect(how.code).toBe(1008);
    expect(how.reason).toMatch(/slow consumer.*since=\d+-\d+/);
    expect(received).toBeLessThan(20_000);
    // Trim the stream, then resume from an id that is gone: the client is told about the gap first.
    const first = (await store.readEvents('0', 1))[0]!.id;
    await conn.xtrim('ts:events', 'MAXLEN', 100);
    const late = new WebSocket(`${c.url.replace('http', 'ws')}/v1/events?since=${first}`, {
      headers: { authorization: `Bearer ${c.token}` },
    });
    const firstMsg = await new Promise<{ type: string; message: string }>((r) =>
      late.once('message', (d) => r(JSON.parse(String(d)))),
    );
    expect(firstMsg.type).toBe('stream.gap');
    expect(firstMsg.message).toMatch(/were dropped/);
    late.terminate();
  }, 60_000);
});
