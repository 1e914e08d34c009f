// Table-driven and simulated tests of the pure orchestrator: deploy, scale, global, jobs, restarts with
// backoff, node loss and drain, resources, spread, and rolling updates (each order and failure action).
import { DEFAULT_UPDATE_CONFIG, TaskState, isTerminal, type UpdateConfig } from '@tsstack/model';
import { Sim, node, spec, svc } from '../testing/cluster-sim';

const three = () => [node('a'), node('b'), node('c')];

describe('planCluster: replicated', () => {
  it.each([1, 2, 3, 5, 7, 12])('deploys %i replicas spread over 3 nodes', (n) => {
    const sim = new Sim(three(), [svc(spec({ replicas: n }))]);
    sim.run(3);
    const run = sim.running();
    expect(run).toHaveLength(n);
    expect(new Set(run.map((t) => t.slot))).toEqual(new Set(Array.from({ length: n }, (_, i) => i + 1)));
    const per = ['a', 'b', 'c'].map((id) => run.filter((t) => t.nodeId === id).length);
    expect(Math.max(...per) - Math.min(...per)).toBeLessThanOrEqual(1);
  });

  it.each([
    [3, 6],
    [6, 2],
    [4, 0],
    [0, 3],
  ])('scales %i -> %i, highest slots removed first', (from, to) => {
    const sim = new Sim(three(), [svc(spec({ replicas: from }))]);
    sim.run(3);
    sim.services = [svc(spec({ replicas: to }))];
    sim.run(3);
    expect(
      sim
        .running()
        .map((t) => t.slot)
        .sort((a, b) => a! - b!),
    ).toEqual(Array.from({ length: to }, (_, i) => i + 1));
  });

  it('is quiet when converged (no writes, no events)', () => {
    const sim = new Sim(three(), [svc(spec())]);
    sim.run(4);
    const p = sim.plan();
    expect(p.upserts).toEqual([]);
    expect(p.events).toEqual([]);
  });

  it('reschedules the tasks of a down node elsewhere, and of a drained node', () => {
    for (const change of [{ status: 'down' as const }, { availability: 'drain' as const }]) {
      const sim = new Sim(three(), [svc(spec({ replicas: 6 }))]);
      sim.run(3);
      sim.nodes = sim.nodes.map((n) => (n.id === 'a' ? { ...n, ...change } : n));
      sim.run(3);
      const run = sim.running();
      expect(run).toHaveLength(6);
      expect(run.every((t) => t.nodeId !== 'a')).toBe(true);
    }
  });

  it('keeps a task pending with the reason when nothing fits', () => {
    const s = spec({ replicas: 2, placement: { constraints: ['node.labels.disk==ssd'], preferences: [] } });
    const sim = new Sim(three(), [svc(s)]);
    sim.run(2);
    const pend = sim.live();
    expect(pend).toHaveLength(2);
    expect(pend[0]!.status.state).toBe(TaskState.Pending);
    expect(pend[0]!.pendingReason).toMatch(/constraint node.labels.disk==ssd not met/);
    sim.nodes[1] = { ...sim.nodes[1]!, labels: { disk: 'ssd' } };
    sim.run(2);
    expect(sim.running().map((t) => t.nodeId)).toEqual(['b', 'b']);
  });

  it('respects resource reservations against node capacity', () => {
    const s = spec({ replicas: 5 });
    s.resources = { limits: {}, reservations: { nanoCpus: 2e9 } };
    const sim = new Sim([node('a'), node('b')], [svc(s)]);
    sim.run(3);
    expect(sim.running()).toHaveLength(4);
    const pend = sim.live().filter((t) => t.status.state === TaskState.Pending);
    expect(pend).toHaveLength(1);
    expect(pend[0]!.pendingReason).toMatch(/insufficient cpu/);
  });

  it('spreads over a label with placement preferences', () => {
    const nodes = [
      node('a', { labels: { zone: '1' } }),
      node('b', { labels: { zone: '1' } }),
      node('c', { labels: { zone: '2' } }),
    ];
    const s = spec({
      replicas: 4,
      placement: { constraints: [], preferences: [{ spread: 'node.labels.zone' }] },
    });
    const sim = new Sim(nodes, [svc(s)]);
    sim.run(3);
    const z2 = sim.running().filter((t) => t.nodeId === 'c');
    expect(z2).toHaveLength(2);
  });

  it('restarts failed tasks with doubling backoff, and stops after max_attempts', () => {
    const s = spec({
      replicas: 1,
      restartPolicy: { condition: 'on-failure', delayMs: 1000, maxAttempts: 3, windowMs: 0 },
    });
    const sim = new Sim([node('a')], [svc(s)]);
    sim.behave = (t) => (t.status.state === TaskState.Running ? 'fail' : 'run');
    const notBefore: number[] = [];
    for (let i = 0; i < 400; i++) {
      sim.plan();
      sim.agents();
      sim.now += 100;
    }
    for (const t of sim.tasks.values()) if (t.notBefore) notBefore.push(t.notBefore - (t.createdAt ?? 0));
    expect(notBefore.sort((a, b) => a - b)).toEqual([900, 1900, 3900]); // delay counted from the exit, 100 ms before the replacement
    expect(sim.live().every((t) => isTerminal(t.status.state))).toBe(true);
  });

  it('counts max_attempts within restart_policy.window', () => {
    // Each task runs 1 s then fails; window 2 s: at most 2 restarts per window, so it keeps going.
    const s = spec({
      replicas: 1,
      restartPolicy: { condition: 'any', delayMs: 100, maxAttempts: 2, windowMs: 2000 },
    });
    const sim = new Sim([node('a')], [svc(s)]);
    sim.behave = (t) =>
      t.status.state === TaskState.Running && sim.now - (t.status.startedAt ?? 0) >= 1000 ? 'fail' : 'run';
    sim.run(150);
    expect(sim.tasks.size).toBeGreaterThan(3);
    // Without a window the same policy stops after 2 restarts.
    const s2 = spec({
      replicas: 1,
      restartPolicy: { condition: 'any', delayMs: 100, maxAttempts: 2, windowMs: 0 },
    });
    const sim2 = new Sim([node('a')], [svc(s2)]);
    sim2.behave = sim.behave;
    sim2.run(150);
    expect(sim2.tasks.size).toBe(3);
  });

  it('does not restart when the condition is none; restarts exited tasks with any', () => {
    for (const [condition, expected] of [
      ['none', 1],
      ['any', 2],
    ] as const) {
      const s = spec({ replicas: 1, restartPolicy: { condition, delayMs: 0, maxAttempts: 0, windowMs: 0 } });
      const sim = new Sim([node('a')], [svc(s)]);
      let failed = false;
      sim.behave = (t) =>
        t.status.state === TaskState.Running && !failed ? ((failed = true), 'fail') : 'run';
      sim.run(6);
      expect(sim.tasks.size).toBe(expected);
    }
  });

  it('forgets old history beyond the limit and removed services', () => {
    const s = spec({
      replicas: 1,
      restartPolicy: { condition: 'any', delayMs: 0, maxAttempts: 0, windowMs: 0 },
    });
    const sim = new Sim([node('a')], [svc(s)]);
    sim.behave = (t) => (t.status.state === TaskState.Running ? 'fail' : 'run');
    sim.run(60);
    expect(sim.tasks.size).toBeLessThanOrEqual(6);
    sim.services = [];
    sim.run(4);
    expect(sim.tasks.size).toBe(0);
  });
});

describe('planCluster: global and jobs', () => {
  it('runs one task per eligible node, follows joins, drains and constraints', () => {
    const s = spec({ mode: 'global', placement: { constraints: ['node.role!=manager'], preferences: [] } });
    const sim = new Sim([node('a'), node('b', { role: 'manager' })], [svc(s)]);
    sim.run(3);
    expect(sim.running().map((t) => t.nodeId)).toEqual(['a']);
    sim.nodes.push(node('c'));
    sim.run(3);
    expect(
      sim
        .running()
        .map((t) => t.nodeId)
        .sort(),
    ).toEqual(['a', 'c']);
    sim.nodes[0] = { ...sim.nodes[0]!, availability: 'drain' };
    sim.run(3);
    expect(sim.running().map((t) => t.nodeId)).toEqual(['c']);
  });

  it('replicated-job runs to completion and is not restarted', () => {
    const s = spec({ mode: 'replicated-job', replicas: 3 });
    const sim = new Sim(three(), [svc(s)]);
    sim.run(2);
    for (const t of sim.tasks.values()) {
      sim.tasks.set(t.id, { ...t, status: { ...t.status, state: TaskState.Complete, exitCode: 0 } });
    }
    sim.run(3);
    expect(sim.tasks.size).toBe(3);
  });
});

function updated(cfg: Partial<UpdateConfig>, replicas = 4) {
  const s1 = spec({ replicas, updateConfig: { ...DEFAULT_UPDATE_CONFIG, monitorMs: 0, ...cfg } });
  const sim = new Sim(three(), [svc(s1, 1, 'v1')]);
  sim.run(3);
  const s2 = { ...s1, image: 'img:2' };
  sim.services = [svc(s2, 2, 'v2', { previousSpec: s1 })];
  return sim;
}

describe('planCluster: rolling updates', () => {
  it.each([
    [1, 'stop-first'],
    [2, 'stop-first'],
    [0, 'stop-first'],
    [1, 'start-first'],
    [3, 'start-first'],
  ] as const)('parallelism %i %s replaces every task and completes', (parallelism, order) => {
    const sim = updated({ parallelism, order });
    let maxRunning = 0;
    let minRunning = 99;
    let maxInflight = 0;
    for (let i = 0; i < 60; i++) {
      sim.plan();
      const inflight = sim
        .live()
        .filter((t) => t.specHash === 'v2' && t.status.state !== TaskState.Running).length;
      maxInflight = Math.max(maxInflight, inflight);
      sim.agents();
      const r = sim.running().length;
      maxRunning = Math.max(maxRunning, r);
      minRunning = Math.min(minRunning, r);
      sim.now += 100;
    }
    expect(sim.running('v2')).toHaveLength(4);
    expect(sim.running('v1')).toHaveLength(0);
    expect(sim.progress['st/web']).toMatchObject({ state: 'completed', specVersion: 2 });
    if (parallelism > 0) expect(maxInflight).toBeLessThanOrEqual(parallelism);
    if (order === 'start-first') expect(minRunning).toBeGreaterThanOrEqual(4);
    if (order === 'stop-first') expect(maxRunning).toBeLessThanOrEqual(4);
  });

  it('waits update delay between batches', () => {
    const sim = updated({ parallelism: 1, delayMs: 1000 });
    sim.run(25); // 2.5 s
    expect(sim.running('v2').length).toBeGreaterThanOrEqual(2);
    expect(sim.running('v2').length).toBeLessThanOrEqual(3);
    sim.run(60);
    expect(sim.running('v2')).toHaveLength(4);
  });

  it('waits monitor before completing', () => {
    const sim = updated({ parallelism: 0, monitorMs: 2000 });
    sim.run(5);
    expect(sim.running('v2')).toHaveLength(4);
    expect(sim.progress['st/web']!.state).toBe('updating');
    sim.run(25);
    expect(sim.progress['st/web']!.state).toBe('completed');
  });

  it.each([
    ['pause', 'paused'],
    ['continue', 'completed'],
    ['rollback', 'updating'],
  ] as const)('failure_action %s', (failureAction, state) => {
    const sim = updated({ parallelism: 1, failureAction, monitorMs: 5000 });
    sim.behave = (t) => (t.specHash === 'v2' ? 'reject' : 'run');
    sim.run(80);
    expect(sim.progress['st/web']!.state).toBe(state);
    if (failureAction === 'pause') {
      expect(sim.running('v1').length).toBe(3); // one slot taken into the first batch, then paused
    }
    if (failureAction === 'rollback') expect(sim.rollbacks).toContain('st/web');
    if (failureAction === 'continue') expect(sim.progress['st/web']!.failedTasks.length).toBeGreaterThan(0);
  });

  it('max_failure_ratio tolerates failures up to the ratio', () => {
    const sim = updated({ parallelism: 1, maxFailureRatio: 0.5, monitorMs: 5000 }, 4);
    let n = 0;
    sim.behave = (t) => (t.specHash === 'v2' && t.slot === 1 && n++ === 0 ? 'reject' : 'run');
    sim.run(120);
    expect(sim.progress['st/web']!.state).toBe('completed');
  });

  it('a rollback uses rollback states and a failed rollback pauses', () => {
    const s1 = spec({ replicas: 2 });
    const sim = new Sim(three(), [svc(s1, 1, 'v1')]);
    sim.run(3);
    sim.services = [svc(s1, 2, 'v0', { rollback: true })];
    sim.run(20);
    expect(sim.progress['st/web']!.state).toBe('rollback_completed');
    sim.services = [svc(s1, 3, 'vX', { rollback: true })];
    sim.behave = (t) => (t.specHash === 'vX' ? 'reject' : 'run');
    sim.run(20);
    expect(sim.progress['st/web']!.state).toBe('rollback_paused');
  });

  it('health-gated: a starting (unhealthy-so-far) task does not count as updated', () => {
    const sim = updated({ parallelism: 1 });
    // Make every v2 task report health "starting": the update must not move past the first batch.
    for (let i = 0; i < 20; i++) {
      for (const t of sim.tasks.values()) {
        if (t.specHash === 'v2') sim.tasks.set(t.id, { ...t, status: { ...t.status, health: 'starting' } });
      }
      sim.plan();
      sim.agents();
      sim.now += 100;
    }
    expect(sim.live().filter((t) => t.specHash === 'v2')).toHaveLength(1);
  });

  it('a checked task that reports running with health none (not probed yet) does not count as updated', () => {
    const hc = { test: ['CMD', 'true'], intervalMs: 1000, timeoutMs: 1000, retries: 1, startPeriodMs: 0, startIntervalMs: 0 }; // prettier-ignore
    const sim = updated({ parallelism: 1 });
    const s2 = { ...sim.services[0]!.spec, healthcheck: hc };
    sim.services = [svc(s2, 2, 'v2', { previousSpec: sim.services[0]!.spec })];
    for (let i = 0; i < 20; i++) {
      sim.plan();
      sim.agents();
      for (const t of sim.tasks.values())
        if (t.specHash === 'v2') sim.tasks.set(t.id, { ...t, status: { ...t.status, health: 'none' } });
      sim.now += 100;
    }
    expect(sim.live().filter((t) => t.specHash === 'v2')).toHaveLength(1);
    expect(sim.running('v1')).toHaveLength(3); // stop-first: one slot stopped, the rest wait;
  });

  it('start-first, rollback: a version whose health check fails after monitor rolls back, old tasks kept', () => {
    // As cluster scenario 4: running/starting, then failed 'unhealthy container' 3.5 s after start (> monitor).
    const hc = { test: ['CMD', 'false'], intervalMs: 1000, timeoutMs: 1000, retries: 2, startPeriodMs: 0, startIntervalMs: 0 }; // prettier-ignore
    const s1 = spec({
      replicas: 3,
      updateConfig: { ...DEFAULT_UPDATE_CONFIG, parallelism: 1, order: 'start-first', delayMs: 1000, monitorMs: 3000, failureAction: 'rollback' }, // prettier-ignore
    });
    const sim = new Sim(three(), [svc(s1, 1, 'v1')]);
    sim.run(3);
    const s2 = { ...s1, image: 'img:2', healthcheck: hc };
    sim.services = [svc(s2, 2, 'v2', { previousSpec: s1 })];
    sim.behave = (t) => (t.specHash === 'v2' ? 'unhealthy' : 'run');
    let minV1 = 3;
    for (let i = 0; i < 80 && sim.rollbacks.length === 0; i++) {
      sim.plan();
      sim.agents();
      minV1 = Math.min(minV1, sim.running('v1').length);
      sim.now += 100;
    }
    expect(sim.rollbacks).toEqual(['st/web']);
    expect(minV1).toBe(3);
    expect(sim.progress['st/web']!.failedTasks).toHaveLength(1);
  });
});
