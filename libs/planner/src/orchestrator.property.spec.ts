// Property tests of the orchestrator over random clusters (fast-check): whatever the nodes (status,
// availability, labels) and services (mode, replicas, constraints, max per node), the simulation converges
// to a state that satisfies every placement rule; and a rolling update with random update_config replaces
// every task, never exceeding parallelism and never dropping below the replica count with start-first.
import fc from 'fast-check';
import { DEFAULT_UPDATE_CONFIG, TaskState, type ClusterNode, type ServiceSpec } from '@tsstack/model';
import { checkConstraint } from '../index';
import { Sim, node, spec, svc } from '../testing/cluster-sim';

const arbNode = (i: number) =>
  fc
    .record({
      status: fc.constantFrom<ClusterNode['status']>('ready', 'ready', 'ready', 'down'),
      availability: fc.constantFrom<ClusterNode['availability']>('active', 'active', 'pause', 'drain'),
      zone: fc.constantFrom('a', 'b'),
    })
    .map((r) => node(`n${i}`, { status: r.status, availability: r.availability, labels: { zone: r.zone } }));

const arbNodes = fc
  .integer({ min: 1, max: 6 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => arbNode(i))));

const arbService = fc.record({
  mode: fc.constantFrom<ServiceSpec['deploy']['mode']>('replicated', 'replicated', 'global'),
  replicas: fc.integer({ min: 0, max: 8 }),
  constraint: fc.constantFrom<string | undefined>(undefined, 'node.labels.zone==a', 'node.labels.zone!=a'),
  maxPerNode: fc.constantFrom<number | undefined>(undefined, 1, 2),
});

describe('planCluster properties', () => {
  it('converges to a placement that respects every rule (1000 random clusters)', () => {
    fc.assert(
      fc.property(arbNodes, arbService, (nodes, s) => {
        const sp = spec({
          mode: s.mode,
          replicas: s.replicas,
          placement: {
            constraints: s.constraint ? [s.constraint] : [],
            preferences: [],
            maxReplicasPerNode: s.maxPerNode,
          },
        });
        const sim = new Sim(nodes, [svc(sp)]);
        sim.run(6);
        const live = sim.live();
        const eligible = nodes.filter(
          (n) =>
            n.status === 'ready' &&
            n.availability === 'active' &&
            (!s.constraint || checkConstraint(n, s.constraint) === undefined),
        );
        for (const t of live.filter((x) => x.nodeId)) {
          const n = nodes.find((x) => x.id === t.nodeId)!;
          expect(n.status).toBe('ready');
          expect(n.availability).toBe('active');
          if (s.constraint) expect(checkConstraint(n, s.constraint)).toBeUndefined();
        }
        if (s.mode === 'global') {
          expect(live.map((t) => t.nodeId).sort()).toEqual(eligible.map((n) => n.id).sort());
        } else {
          const slots = live.map((t) => t.slot!).sort((a, b) => a - b);
          expect(slots).toEqual(Array.from({ length: s.replicas }, (_, i) => i + 1));
          const cap = s.maxPerNode ? eligible.length * s.maxPerNode : Infinity;
          const placed = live.filter((t) => t.status.state === TaskState.Running);
          expect(placed.length).toBe(Math.min(s.replicas, eligible.length ? cap : 0));
          const pending = live.filter((t) => t.status.state === TaskState.Pending);
          for (const p of pending) expect(p.pendingReason).toBeTruthy();
          if (s.maxPerNode) {
            for (const n of nodes)
              expect(placed.filter((t) => t.nodeId === n.id).length).toBeLessThanOrEqual(s.maxPerNode);
          }
        }
        // Converged: another round changes nothing.
        const p = sim.plan();
        expect(p.upserts.filter((t) => t.status.state !== TaskState.Pending)).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });

  it('a rolling update replaces every task within parallelism (500 random update configs)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 0, max: 4 }),
        fc.constantFrom<'stop-first' | 'start-first'>('stop-first', 'start-first'),
        fc.integer({ min: 0, max: 3 }).map((x) => x * 100),
        fc.integer({ min: 1, max: 4 }),
        (replicas, parallelism, order, delayMs, nodeCount) => {
          const cfg = { ...DEFAULT_UPDATE_CONFIG, parallelism, order, delayMs, monitorMs: 200 };
          const s1 = spec({ replicas, updateConfig: cfg });
          const nodes = Array.from({ length: nodeCount }, (_, i) => node(`n${i}`));
          const sim = new Sim(nodes, [svc(s1, 1, 'v1')]);
          sim.run(4);
          sim.services = [svc({ ...s1, image: 'img:2' }, 2, 'v2', { previousSpec: s1 })];
          for (let i = 0; i < 200 && sim.progress['st/web']?.state !== 'completed'; i++) {
            sim.plan();
            const v2 = sim.live().filter((t) => t.specHash === 'v2');
            const inflight = v2.filter((t) => t.status.state !== TaskState.Running).length;
            if (parallelism > 0) expect(inflight).toBeLessThanOrEqual(parallelism);
            if (order === 'start-first') expect(sim.running().length).toBeGreaterThanOrEqual(replicas);
            sim.agents();
            sim.now += 100;
          }
          expect(sim.progress['st/web']!.state).toBe('completed');
          expect(sim.running('v2')).toHaveLength(replicas);
          expect(sim.live().every((t) => t.specHash === 'v2')).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});
