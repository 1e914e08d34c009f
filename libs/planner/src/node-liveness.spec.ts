// Unit tests of node liveness from heartbeats.
import type { ClusterNode } from '@tsstack/model';
import { nodeLiveness } from '../index';

const node = (id: string, over: Partial<ClusterNode>): ClusterNode => ({
  id,
  hostname: id,
  role: 'worker',
  labels: {},
  availability: 'active',
  status: 'ready',
  address: '',
  resources: { nanoCpus: 1e9, memoryBytes: 1e9 },
  lastHeartbeat: 0,
  ...over,
});

describe('nodeLiveness', () => {
  it.each([
    ['ready', 1000, 'down'],
    ['ready', 100, undefined],
    ['down', 100, 'ready'],
    ['down', 5000, undefined],
    ['unknown', 100, 'ready'],
    ['unknown', 5000, 'down'],
  ] as const)('%s with a heartbeat %i ms ago -> %s', (status, ago, to) => {
    const ch = nodeLiveness([node('a', { status })], { a: 10_000 - ago }, 10_000, 600);
    expect(ch[0]?.to).toBe(to);
  });
});
