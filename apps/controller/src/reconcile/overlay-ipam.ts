// Overlay networks span nodes, so the reconcile leader allocates for them: a subnet and a VNI per network,
// an address per task attachment (Compose ipv4_address honoured), a virtual IP per service (endpoint_mode
// vip) and an address per node that runs tasks on it. Built on libs/network's pure Ipam; the state is one
// JSON value in Redis written with the leader's fenced writes. Bridge networks stay local to each node.
import type { ClusterNode, NetworkAssignment, StackSpec, Task } from '@tsstack/model';
import { TaskState } from '@tsstack/model';
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

  private ensureNetwork(id: string, spec: NonNullable<ReturnType<typeof overlaySpec>>): void {
    if (!this.ipam.network(id)) this.ipam.createNetwork({ id, driver: 'overlay', ipam: spec.ipam ?? [] }, []);
    this.vnis[id] ??= this.nextVni++;
  }

  /**
   * Give addresses to the overlay attachments of `tasks` (new or changed tasks; returned with addresses
   * filled in), then re-derive VIPs and node addresses from every task and release what nobody holds.
   */
  allocate(tasks: Task[], all: Task[], stacks: Map<string, StackSpec>): Task[] {
    const out = tasks.map((t) => {
      if (!isCurrent(t) || !t.networks.some((n) => !n.address && overlaySpec(stacks, t.stack, n.network)))
        return t;
      return {
        ...t,
        networks: t.networks.map((n) => {
          const spec = overlaySpec(stacks, t.stack, n.network);
          if (!spec || n.address) return n;
          try {
            this.ensureNetwork(n.network, spec);
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
    const wanted = new Map<string, Set<string>>();
    for (const t of byId.values()) {
      for (const n of t.networks) {
        const spec = overlaySpec(stacks, t.stack, n.network);
        if (!spec || !this.ipam.network(n.network)) continue;
        const owners = wanted.get(n.network) ?? new Set<string>();
        wanted.set(n.network, owners);
        if (n.address) owners.add(t.id);
        if (!isCurrent(t)) continue;
        if (t.spec.deploy?.endpointMode !== 'dnsrr') {
          owners.add(`vip:${t.stack}/${t.service}`);
          this.ipam.allocate(n.network, `vip:${t.stack}/${t.service}`);
        }
        if (t.nodeId) {
          owners.add(`node:${t.nodeId}`);
          this.ipam.allocate(n.network, `node:${t.nodeId}`);
        }
      }
    }
    for (const net of this.ipam.networks()) {
      const keep = wanted.get(net.id) ?? new Set<string>();
      for (const owner of new Set(Object.values(net.allocations)))
        if (!keep.has(owner)) this.ipam.release(owner, net.id);
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
