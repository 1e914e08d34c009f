// Unit tests of the pure scheduler: filters with reasons, spread, max_replicas_per_node.
import type { ClusterNode } from '@tsstack/model';
import { ConstraintSyntaxError, checkConstraint, pickNode, placeReplicas } from '../index';

function node(id: string, over: Partial<ClusterNode> = {}): ClusterNode {
  return {
    id,
    hostname: `h-${id}`,
    role: 'worker',
    labels: {},
    availability: 'active',
    status: 'ready',
    address: '10.0.0.1',
    resources: { nanoCpus: 2e9, memoryBytes: 2 ** 31 },
    lastHeartbeat: 0,
    ...over,
  };
}
const open = { constraints: [], preferences: [] };

describe('checkConstraint', () => {
  const n = node('a', { role: 'manager', labels: { zone: 'z1' } });
  it.each([
    ['node.role==manager', true],
    ['node.role != manager', false],
    ['node.labels.zone==z1', true],
    ['node.labels.zone==z2', false],
    ['node.labels.none!=x', true],
    ['node.hostname==h-a', true],
    ['node.id==b', false],
  ])('%s -> %s', (expr, ok) => {
    expect(checkConstraint(n, expr) === undefined).toBe(ok);
  });
  it('refuses unknown syntax with a typed error', () => {
    expect(() => checkConstraint(n, 'role=manager')).toThrow(ConstraintSyntaxError);
    expect(() => checkConstraint(n, 'engine.labels.x==1')).toThrow(ConstraintSyntaxError);
  });
});

describe('pickNode / placeReplicas', () => {
  it('explains every refused node', () => {
    const r = pickNode({
      nodes: [
        node('a', { availability: 'drain' }),
        node('b', { status: 'down' }),
        node('c', { labels: { z: '2' } }),
      ],
      placement: { constraints: ['node.labels.z==1'], preferences: [] },
      serviceLoad: {},
      totalLoad: {},
    });
    expect(r.nodeId).toBeUndefined();
    expect(r.refusals).toEqual({
      a: 'node availability is drain',
      b: 'node is down',
      c: 'constraint node.labels.z==1 not met (node.labels.z=2)',
    });
  });
  it('spreads replicas evenly and honours max_replicas_per_node', () => {
    const nodes = [node('a'), node('b'), node('c')];
    const spread = placeReplicas({ nodes, placement: open, serviceLoad: {}, totalLoad: { a: 5 } }, 6);
    const count = (id: string) => spread.filter((r) => r.nodeId === id).length;
    expect([count('a'), count('b'), count('c')]).toEqual([2, 2, 2]);
    const capped = placeReplicas(
      { nodes, placement: { ...open, maxReplicasPerNode: 1 }, serviceLoad: {}, totalLoad: {} },
      4,
    );
    expect(capped.map((r) => r.nodeId)).toEqual(['a', 'b', 'c', undefined]);
    expect(capped[3]?.refusals.a).toBe('max_replicas_per_node 1 reached');
  });
  it('spread holds for many cluster sizes', () => {
    for (let n = 1; n <= 30; n++) {
      for (const k of [1, 7, 50]) {
        const nodes = Array.from({ length: n }, (_, i) => node(`n${String(i).padStart(2, '0')}`));
        const res = placeReplicas({ nodes, placement: open, serviceLoad: {}, totalLoad: {} }, k);
        const per = nodes.map((x) => res.filter((r) => r.nodeId === x.id).length);
        expect(Math.max(...per) - Math.min(...per)).toBeLessThanOrEqual(1);
      }
    }
  });
});
