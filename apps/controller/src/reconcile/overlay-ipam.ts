// Overlay networks span nodes, so the reconcile leader allocates for them: a subnet and a VNI per network,
// an address per task attachment (Compose ipv4_address honoured), a virtual IP per service (endpoint_mode
// vip) and an address per node that runs tasks on it. Built on libs/network's pure Ipam; the state is one
// JSON value in Redis written with the leader's fenced writes. Bridge networks stay local to each node.
import type { ClusterNode, NetworkAssignment, StackSpec, Task } from '@tsstack/model';
import { TaskState, isTerminal } from '@tsstack/model';
import { Ipam, macForAddress, type IpamState } from '@tsstack/network';
import { isCurrent, isHealthyRunning } from '@tsstack/planner';

export interface OverlayState {
  ipam: IpamState;
  vnis: Record<string, number>;
  nextVni: number;
}

const FIRST_VNI = 4096;

function overlaySpec(stacks: Map<string, StackSpec>, stack: string, networkId: string) {
  const spec = stacks.get(stack)?.networks?.[networkId.slice(stack.length + 1)];
  return spec?.driver === 'overlay' ? spec : undefined;
}

/** Overlay networks that a service publishing an ingress port is attached to, over every stack. */
function ingressNetworks(stacks: Map<string, StackSpec>): Set<string> {
  const out = new Set<string>();
  for (const [stack, st] of stacks) {
    for (const svc of Object.values(st.services ?? {})) {
      if (!(svc.ports ?? []).some((p) => p.mode === 'ingress' && p.published)) continue;
      for (const name of Object.keys(svc.networks ?? {}))
        if (overlaySpec(stacks, stack, `${stack}_${name}`)) out.add(`${stack}_${name}`);
    }
  }
  return out;
}

export class OverlayIpam {
  private readonly ipam: Ipam;
  private readonly vnis: Record<string, number>;
  private nextVni: number;
  /** Allocation problems of the last call (bad ipam config, pool exhausted), for the log. */
  readonly errors: string[] = [];

  constructor(state?: OverlayState) {
    this.ipam = new Ipam(state?.ipam);
    this.vnis = { ...(state?.vnis ?? {}) };
    this.nextVni = state?.nextVni ?? FIRST_VNI;
  }

  toJSON(): OverlayState {
    return { ipam: this.ipam.toJSON(), vnis: { ...this.vnis }, nextVni: this.nextVni };
  }

  private ensureNetwork(
    id: string,
    spec: NonNullable<ReturnType<typeof overlaySpec>>,
    hostRoutes: string[],
  ): void {
    if (!this.ipam.network(id))
      this.ipam.createNetwork({ id, driver: 'overlay', ipam: spec.ipam ?? [] }, hostRoutes);
    this.vnis[id] ??= this.nextVni++;
  }

  /**
   * Give addresses to the overlay attachments of `tasks` (new or changed tasks; returned with addresses
   * filled in), then re-derive VIPs and node addresses from every task and release what nobody holds.
   */
  allocate(tasks: Task[], all: Task[], stacks: Map<string, StackSpec>, nodes: ClusterNode[] = []): Task[] {
    // A new overlay's subnet avoids every node's host routes (this node's own bridges are filtered out
    // by the IPAM: it knows their subnets).
    const routes = [...new Set(nodes.flatMap((n) => n.hostRoutes ?? []))];
    const out = tasks.map((t) => {
      if (!isCurrent(t) || !t.networks.some((n) => !n.address && overlaySpec(stacks, t.stack, n.network)))
        return t;
      return {
        ...t,
        networks: t.networks.map((n) => {
          const spec = overlaySpec(stacks, t.stack, n.network);
          if (!spec || n.address) return n;
          try {
            this.ensureNetwork(n.network, spec, routes);
            const requested = t.spec.networks?.[n.network.slice(t.stack.length + 1)]?.ipv4Address;
            return { ...n, address: this.ipam.allocate(n.network, t.id, requested) };
          } catch (err) {
            this.errors.push(`${t.id} on ${n.network}: ${(err as Error).message}`);
            return n; // the agent reports the task failed to attach; the next task tries again
          }
        }),
      };
    });
    const byId = new Map(all.map((t) => [t.id, t]));
    for (const t of out) byId.set(t.id, t);
    const wanted = this.owners([...byId.values()], stacks, nodes);
    for (const net of this.ipam.networks()) {
      const keep = wanted.get(net.id) ?? new Set<string>();
      for (const owner of new Set(Object.values(net.allocations)))
        if (!keep.has(owner)) this.ipam.release(owner, net.id);
    }
    return out;
  }

  /**
   * Who holds an address on each overlay network, allocating what is missing: every task with an address,
   * the VIP of every service with a current task, and a node address for (a) every node where a task on the
   * network still runs or is wanted (a draining task keeps it: its node goes on forwarding to it), and (b)
   * every node that is up when the network carries an ingress-published service, since the routing mesh
   * forwards from every node (Swarm's ingress). Node addresses thus stay put through rolling updates; a
   * moved one would cut the forwarded connections that are SNATed to it.
   */
  private owners(
    tasks: Task[],
    stacks: Map<string, StackSpec>,
    nodes: ClusterNode[],
  ): Map<string, Set<string>> {
    const wanted = new Map<string, Set<string>>();
    const hold = (network: string, owner: string) => {
      const owners = wanted.get(network) ?? new Set<string>();
      wanted.set(network, owners);
      owners.add(owner);
      this.ipam.allocate(network, owner);
    };
    for (const t of tasks) {
      for (const n of t.networks) {
        if (!overlaySpec(stacks, t.stack, n.network) || !this.ipam.network(n.network)) continue;
        if (!wanted.has(n.network)) wanted.set(n.network, new Set());
        if (n.address) wanted.get(n.network)!.add(t.id);
        if (isCurrent(t) && t.spec.deploy?.endpointMode !== 'dnsrr')
          hold(n.network, `vip:${t.stack}/${t.service}`);
        if (t.nodeId && (isCurrent(t) || !isTerminal(t.status.state))) hold(n.network, `node:${t.nodeId}`);
      }
    }
    const up = nodes.filter((n) => n.status !== 'down');
    for (const network of ingressNetworks(stacks)) {
      if (!this.ipam.network(network)) continue;
      for (const node of up) hold(network, `node:${node.id}`);
    }
    return wanted;
  }

  /**
   * Whether nodes other than the task's own may route to it: it is on an overlay network where another node
   * holds an address (that node programs the task's endpoint in its DNS, VIPs and routing mesh).
   */
  static routedFromOtherNodes(state: OverlayState | undefined, t: Task): boolean {
    return t.networks.some((n) => {
      const net = state?.ipam.networks[n.network];
      if (!net) return false;
      return Object.values(net.allocations).some((o) => o.startsWith('node:') && o !== `node:${t.nodeId}`);
    });
  }

  /** Overlay networks (id -> stack) on which `nodeId` holds a node address. */
  static nodeNetworks(
    state: OverlayState | undefined,
    nodeId: string,
    stacks: Map<string, StackSpec>,
  ): Map<string, string> {
    const out = new Map<string, string>();
    for (const [id, net] of Object.entries(state?.ipam.networks ?? {})) {
      if (!Object.values(net.allocations).includes(`node:${nodeId}`)) continue;
      const stack = [...stacks.keys()].find((s) => id.startsWith(`${s}_`) && overlaySpec(stacks, s, id));
      if (stack) out.set(id, stack);
    }
    return out;
  }

  /** The assignment of overlay network `id` as every node sees it (endpoints of every task on it). */
  static assignment(
    state: OverlayState | undefined,
    id: string,
    stack: string,
    stacks: Map<string, StackSpec>,
    tasks: Task[],
    nodes: Map<string, ClusterNode>,
  ): NetworkAssignment | undefined {
    const spec = overlaySpec(stacks, stack, id);
    const net = state?.ipam.networks[id];
    if (!spec || !net) return undefined;
    const vips: Record<string, string> = {};
    const nodeEndpoints: NonNullable<NetworkAssignment['nodeEndpoints']> = [];
    for (const [ip, owner] of Object.entries(net.allocations)) {
      if (owner.startsWith(`vip:${stack}/`)) vips[owner.slice(`vip:${stack}/`.length)] = ip;
      if (owner.startsWith('node:')) {
        const nodeId = owner.slice(5);
        nodeEndpoints.push({ nodeId, nodeAddress: nodes.get(nodeId)?.address ?? '', address: ip });
      }
    }
    const endpoints: NetworkAssignment['endpoints'] = [];
    for (const t of tasks) {
      const att = t.networks.find((n) => n.network === id && n.address);
      // A task told to stop stays listed, not serving, until it has stopped: every node drops it from DNS,
      // VIPs and the routing mesh before its agent stops it (see the drain in assignmentTasks).
      if (!att || !t.nodeId || t.status.state > TaskState.Running) continue;
      if (!isCurrent(t) && t.status.state !== TaskState.Running) continue;
      endpoints.push({
        taskId: t.id,
        taskName: `${t.stack}_${t.service}.${t.slot ?? t.nodeId}`,
        service: t.service,
        aliases: att.aliases,
        address: att.address,
        mac: macForAddress(att.address),
        nodeId: t.nodeId,
        nodeAddress: nodes.get(t.nodeId)?.address ?? '',
        serving: isCurrent(t) && isHealthyRunning(t),
      });
    }
    endpoints.sort((a, b) => a.taskId.localeCompare(b.taskId));
    nodeEndpoints.sort((a, b) => a.nodeId.localeCompare(b.nodeId));
    return {
      id,
      stack,
      spec,
      subnet: net.subnet,
      gateway: net.gateway,
      vni: state!.vnis[id],
      vips,
      endpoints,
      nodeEndpoints,
    };
  }
}
