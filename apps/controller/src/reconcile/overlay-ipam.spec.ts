// Unit tests of the overlay allocations the leader keeps: above all that a node's own address on an overlay
// does not move while the routing mesh may still forward through it.
import { TaskState, type ClusterNode, type StackSpec, type Task } from '@tsstack/model';
import { completeStack } from '../domain/spec-defaults';
import { OverlayIpam } from './overlay-ipam';

const NET = 's_front';

function stack(ingress: boolean): Map<string, StackSpec> {
  const web = {
    image: 'web:1',
    networks: { front: {} },
    ports: ingress ? [{ target: 80, published: 8080, protocol: 'tcp', mode: 'ingress' }] : [],
  };
  const spec = completeStack('s', {
    services: { web },
    networks: { front: { name: 'front', driver: 'overlay', internal: false, ipam: [] } },
  });
  return new Map([['s', spec]]);
}

function task(id: string, nodeId: string, stacks: Map<string, StackSpec>, over: Partial<Task> = {}): Task {
  return {
    id,
    stack: 's',
    service: 'web',
    slot: 1,
    specVersion: 1,
    specHash: 'h',
    spec: stacks.get('s')!.services.web,
    nodeId,
    desiredState: TaskState.Running,
    status: { state: TaskState.Running, message: '', health: 'healthy', timestamp: 0 },
    networks: [{ network: NET, aliases: [], address: '' }],
    createdAt: 0,
    updatedAt: 0,
    ...over,
  } as Task;
}

function node(id: string, status: ClusterNode['status'] = 'ready'): ClusterNode {
  return {
    id,
    hostname: id,
    role: 'worker',
    labels: {},
    availability: 'active',
    status,
    address: '',
    resources: { nanoCpus: 2e9, memoryBytes: 2 ** 30 },
    lastHeartbeat: 0,
  };
}

function nodeAddress(ipam: OverlayIpam, nodeId: string): string | undefined {
  const net = ipam.toJSON().ipam.networks[NET];
  return Object.entries(net?.allocations ?? {}).find(([, o]) => o === `node:${nodeId}`)?.[0];
}

describe('overlay IPAM', () => {
  it('keeps a node address while a task told to stop still runs there (its connections go on)', () => {
    const stacks = stack(false);
    const ipam = new OverlayIpam();
    const [t] = ipam.allocate([task('t1', 'n1', stacks)], [], stacks, [node('n1')]);
    const before = nodeAddress(ipam, 'n1');
    expect(before).toBeDefined();

    const stopping = { ...t, desiredState: TaskState.Shutdown };
    const again = new OverlayIpam(ipam.toJSON());
    again.allocate([], [stopping], stacks, [node('n1')]);
    expect(nodeAddress(again, 'n1')).toBe(before);

    const stopped = { ...stopping, status: { ...stopping.status, state: TaskState.Shutdown } };
    const last = new OverlayIpam(again.toJSON());
    last.allocate([], [stopped], stacks, [node('n1')]);
    expect(nodeAddress(last, 'n1')).toBeUndefined();
  });

  it('gives every node that is up an address on a network with an ingress port, task or not', () => {
    const stacks = stack(true);
    const ipam = new OverlayIpam();
    ipam.allocate([task('t1', 'n1', stacks)], [], stacks, [node('n1'), node('n2'), node('n3', 'down')]);
    expect(nodeAddress(ipam, 'n1')).toBeDefined();
    expect(nodeAddress(ipam, 'n2')).toBeDefined();
    expect(nodeAddress(ipam, 'n3')).toBeUndefined();
    expect([...OverlayIpam.nodeNetworks(ipam.toJSON(), 'n2', stacks)]).toEqual([[NET, 's']]);
    expect([...OverlayIpam.nodeNetworks(ipam.toJSON(), 'n3', stacks)]).toEqual([]);
  });

  it('without an ingress port, a node with no task on the network holds no address', () => {
    const stacks = stack(false);
    const ipam = new OverlayIpam();
    ipam.allocate([task('t1', 'n1', stacks)], [], stacks, [node('n1'), node('n2')]);
    expect(nodeAddress(ipam, 'n2')).toBeUndefined();
  });

  it('a task is routed from other nodes only when another node holds an address on its overlay', () => {
    const stacks = stack(false);
    const ipam = new OverlayIpam();
    const [a] = ipam.allocate([task('t1', 'n1', stacks)], [], stacks, [node('n1'), node('n2')]);
    expect(OverlayIpam.routedFromOtherNodes(ipam.toJSON(), a)).toBe(false);
    const [b] = ipam.allocate([task('t2', 'n2', stacks)], [a], stacks, [node('n1'), node('n2')]);
    expect(OverlayIpam.routedFromOtherNodes(ipam.toJSON(), a)).toBe(true);
    expect(OverlayIpam.routedFromOtherNodes(ipam.toJSON(), b)).toBe(true);
    const bridgeOnly = { ...a, networks: [{ network: 's_default', aliases: [], address: '' }] };
    expect(OverlayIpam.routedFromOtherNodes(ipam.toJSON(), bridgeOnly)).toBe(false);
  });

  it("a new overlay's subnet stays clear of every node's host routes", () => {
    const stacks = stack(false);
    const first = new OverlayIpam();
    first.allocate([task('t1', 'n1', stacks)], [], stacks, [node('n1')]);
    const usual = first.toJSON().ipam.networks[NET]!.subnet;
    const ipam = new OverlayIpam();
    const busy = { ...node('n2'), hostRoutes: [usual, '192.168.1.0/24'] };
    ipam.allocate([task('t1', 'n1', stacks)], [], stacks, [node('n1'), busy]);
    expect(ipam.toJSON().ipam.networks[NET]!.subnet).not.toBe(usual);
  });
});
