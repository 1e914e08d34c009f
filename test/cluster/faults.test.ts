// Scenarios 5, 6 and 7 of issue 10 on one 3-host cluster with two controllers sharing one Redis (agents
// joined to controller 1, so the leader, controller 0, can die without cutting them off):
//   6. the leader (controller 0) killed: controller 1 takes over, no container restarts; then controller 1,
//      now the only one, killed and restarted: no container restarts, reconciliation
//      resumes (a scale is carried out); Redis killed and restarted: no desired state lost.
//   7. an event client on controller 1 resumes across its restart with no gap (checked against the stream).
//   5. a host dies (agent SIGKILLed and its link cut): its tasks are rescheduled on the others; time reported.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { requireCommand, requireRoot } from '@tsstack/testkit';
import { sweepStale } from './harness';
import { CLIENTS_DIR, startControlPlane, until, type ControlPlane } from './control-plane';
import { psTasks, runningOf, type TaskRow } from './cluster-checks';

const STACK = `name: ft
services:
  web:
    image: tsstack.local/hello:1
    command: ['httpd', '-f', '-p', '8080', '-h', '/www']
    deploy:
      replicas: 3
  api:
    image: tsstack.local/hello:1
    command: ['httpd', '-f', '-p', '8081', '-h', '/www']
    deploy:
      replicas: 2
`;

/** Every task running before still runs the same container (else the row of what happened to it). */
function expectUnchanged(cp: ControlPlane, before: Record<string, string>): void {
  const rows = psTasks(cp, 'ft', true);
  const after = fingerprint(rows);
  const changed = Object.keys(before)
    .filter((t) => after[t] !== before[t])
    .map((t) => ({ task: t, before: before[t], now: rows.find((r) => r.task === t) ?? 'gone' }));
  expect(changed).toEqual([]);
}

/** task id -> container id + start time of every running task: equal before and after = nothing restarted. */
/** Ids of the controller's event stream (Redis stream ts:events) from `start` to `end`, inclusive. */
function streamIds(cp: ControlPlane, start: string, end: string): string[] {
  return cp.cluster
    .exec(cp.control, ['redis-cli', 'XRANGE', 'ts:events', start, end])
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^\d+-\d+$/.test(l));
}

function fingerprint(tasks: TaskRow[]): Record<string, string> {
  return Object.fromEntries(runningOf(tasks).map((t) => [t.task, `${t.containerId}@${t.startedAt}`]));
}

function waitRunning(cp: ControlPlane, service: string, n: number, timeoutMs = 60_000): Promise<TaskRow[]> {
  return until(
    `${n} running ${service} tasks`,
    () => {
      const t = runningOf(psTasks(cp, 'ft')).filter((x) => x.service === `ft_${service}`);
      return t.length === n ? t : undefined;
    },
    timeoutMs,
    250,
  );
}

describe('cluster: controller, Redis and host failures', () => {
  let cp: ControlPlane | undefined;

  beforeAll(async () => {
    requireRoot();
    requireCommand('redis-server', 'redis-server');
    requireCommand('curl', 'curl');
    sweepStale();
    cp = await startControlPlane({ hosts: 3, controllers: 2 });
    const file = path.join(cp.cluster.root, 'ft.yml');
    fs.writeFileSync(file, STACK);
    const up = cp.cli(['up', '--wait', '-f', file, '--timeout', '120'], { ctl: 1 });
    if (up.status !== 0) throw new Error(`up failed: ${up.stdout}\n${up.stderr}\n${cp.logs()}`);
  }, 240_000);

  afterAll(async () => {
    await cp?.teardown();
  }, 120_000);

  test('6. the leader is killed: the other controller takes over, no container restarts, scale carried out', async () => {
    const c = cp as ControlPlane;
    const leader = c.leader();
    expect(leader).toBe(0);
    const before = fingerprint(psTasks(c, 'ft', false));
    const t0 = Date.now();
    await c.killController(0);
    await until('controller 1 to lead', () => c.leader() === 1, 30_000, 200);
    const takeoverS = (Date.now() - t0) / 1000;
    process.stdout.write(`cluster faults: leader takeover ${takeoverS.toFixed(1)} s\n`);
    c.api('POST', '/v1/services/ft/web/scale', { replicas: 4 }, 1);
    await waitRunning(c, 'web', 4);
    expectUnchanged(c, before);
  }, 180_000);

  test('6+7. the only controller (leader, agents attached) killed and restarted: no container restarts, events resume with no gap; reconciliation resumes', async () => {
    const c = cp as ControlPlane;
    // after the leader test, controller 1 is the only one: it holds the lease and every agent
    expect(c.leader()).toBe(1);
    const events = c.spawnClient(path.join(CLIENTS_DIR, 'event-client.js'), [c.controllerUrls[1], c.token]);
    let lines = '';
    let lastId = '';
    events.stdout?.on('data', (d: Buffer) => (lines += d.toString()));
    const exited = new Promise<void>((r) => events.once('exit', () => r()));
    try {
      await until('the event client to connect', () => lines.includes('O '), 15_000, 100);
      const before = fingerprint(psTasks(c, 'ft'));
      await c.killController(1);
      await new Promise((r) => setTimeout(r, 1000));
      await c.startController(1);
      // reconciliation resumes: a scale is carried out by the restarted controller
      c.api('POST', '/v1/services/ft/api/scale', { replicas: 3 }, 1);
      await waitRunning(c, 'api', 3);
      await until(
        'the event client to reconnect',
        () => (lines.match(/^O /gm) ?? []).length >= 2,
        30_000,
        100,
      );
      expectUnchanged(c, before);
      // a last event after the reconnect, then compare with the stream itself
      c.api('POST', '/v1/services/ft/web/scale', { replicas: 5 }, 1);
      await waitRunning(c, 'web', 5);
      // Events go on being written (task states, heartbeats): compare up to the newest one now, once the
      // client has received it, so an event written while the client is being stopped is not counted as a gap.
      lastId = streamIds(c, '-', '+').pop()!;
      await until(
        `the event client to receive ${lastId}`,
        () => lines.includes(`E ${lastId}\n`),
        15_000,
        100,
      );
    } finally {
      events.kill('SIGTERM');
      await exited;
    }
    const got = lines
      .split('\n')
      .filter((l) => l.startsWith('E '))
      .map((l) => l.slice(2));
    expect(lines).not.toMatch(/^G /m);
    expect(got.length).toBeGreaterThan(0);
    const stream = streamIds(c, got[0]!, lastId);
    expect(stream.length).toBeGreaterThan(0);
    const seen = new Set(got);
    expect(stream.filter((id) => !seen.has(id))).toEqual([]);
    expect(got.length).toBe(new Set(got).size); // no duplicates
  }, 180_000);

  test('6. Redis killed and restarted: no desired state lost, no container restarts', async () => {
    const c = cp as ControlPlane;
    const stacksBefore = c.api('GET', '/v1/stacks', undefined, 1);
    const servicesBefore = c.api('GET', '/v1/services?stack=ft', undefined, 1);
    const before = fingerprint(psTasks(c, 'ft'));
    c.killRedis();
    await new Promise((r) => setTimeout(r, 3000));
    await c.startRedis();
    await until(
      'the API to answer again',
      () => {
        try {
          c.api('GET', '/v1/stacks', undefined, 1);
          return true;
        } catch {
          return undefined;
        }
      },
      30_000,
      250,
    );
    expect(c.api('GET', '/v1/stacks', undefined, 1)).toEqual(stacksBefore);
    expect(c.api('GET', '/v1/services?stack=ft', undefined, 1)).toEqual(servicesBefore);
    // reconciliation still works, and nothing was restarted meanwhile
    c.api('POST', '/v1/services/ft/api/scale', { replicas: 4 }, 1);
    await waitRunning(c, 'api', 4);
    expectUnchanged(c, before);
  }, 180_000);

  test('5. a host dies (agent killed, link cut): its tasks move to the others, service whole again < 10 s', async () => {
    const c = cp as ControlPlane;
    const tasks = runningOf(psTasks(c, 'ft'));
    const nodes = c.api<Array<{ id: string; name: string }>>('GET', '/v1/nodes', undefined, 1);
    // the host with the most tasks dies
    const count = (h: string) => tasks.filter((t) => t.node === nodes.find((n) => n.name === h)?.id).length;
    const victim = [...c.cluster.hosts].sort((a, b) => count(b.name) - count(a.name))[0];
    const victimId = nodes.find((n) => n.name === victim.name)?.id;
    expect(count(victim.name)).toBeGreaterThan(0);
    const t0 = Date.now();
    await c.killAgent(victim);
    c.cluster.cutLink(victim);
    const want: Record<string, number> = {};
    for (const t of tasks) want[t.service] = (want[t.service] ?? 0) + 1;
    await until(
      `${JSON.stringify(want)} running on the surviving hosts`,
      () => {
        const t = runningOf(psTasks(c, 'ft')).filter((x) => x.node !== victimId);
        return Object.entries(want).every(([svc, n]) => t.filter((x) => x.service === svc).length === n)
          ? true
          : undefined;
      },
      60_000,
      200,
    );
    const rescheduleS = (Date.now() - t0) / 1000;
    process.stdout.write(`cluster faults: reschedule_s ${rescheduleS.toFixed(1)}\n`);
    expect(rescheduleS).toBeLessThan(10);
    c.cluster.restoreLink(victim);
    await c.startAgent(victim);
  }, 180_000);
});
