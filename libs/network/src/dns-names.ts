// The embedded DNS's view: which names each container may resolve. A container sees the service names,
// aliases, `tasks.<service>` and task names of the networks it is attached to, and only those; endpoints
// that are not serving (unhealthy, stopping) are left out. Pure and in memory; the server asks it per query.

export interface DnsEndpoint {
  taskId: string;
  taskName: string;
  service: string;
  aliases: string[];
  address: string;
  serving: boolean;
}

export interface DnsNetworkView {
  id: string;
  /** service -> VIP for services in endpoint_mode vip; other services answer their tasks (dnsrr). */
  vips: Record<string, string>;
  endpoints: DnsEndpoint[];
}

export interface DnsAnswer {
  /** True when the name is one of ours for this client (answer even if empty, never forward). */
  known: boolean;
  addresses: string[];
}

const norm = (name: string) => name.toLowerCase().replace(/\.$/, '');

export class DnsNames {
  private readonly networks = new Map<string, DnsNetworkView>();
  /** client address -> ids of the networks of the task that owns it. */
  private clients = new Map<string, string[]>();
  private rotation = 0;

  /** Replaces a network's view (endpoints on every node, with their serving state). */
  setNetwork(view: DnsNetworkView): void {
    this.networks.set(view.id, view);
    this.reindex();
  }

  removeNetwork(id: string): void {
    this.networks.delete(id);
    this.reindex();
  }

  networkIds(): string[] {
    return [...this.networks.keys()];
  }

  private reindex(): void {
    const byTask = new Map<string, Set<string>>();
    const addrTask = new Map<string, string>();
    for (const net of this.networks.values()) {
      for (const ep of net.endpoints) {
        if (!byTask.has(ep.taskId)) byTask.set(ep.taskId, new Set());
        byTask.get(ep.taskId)!.add(net.id);
        addrTask.set(ep.address, ep.taskId);
      }
    }
    const clients = new Map<string, string[]>();
    for (const [addr, task] of addrTask) clients.set(addr, [...byTask.get(task)!]);
    this.clients = clients;
  }

  /** Networks a client (by its source address) is attached to; undefined for strangers. */
  networksOf(clientAddress: string): string[] | undefined {
    return this.clients.get(clientAddress);
  }

  /** A-record answer of `name` for the container at `clientAddress`. */
  resolve(clientAddress: string, name: string): DnsAnswer {
    const nets = this.clients.get(clientAddress);
    if (!nets) return { known: false, addresses: [] };
    const n = norm(name);
    const views = nets.map((id) => this.networks.get(id)!).filter(Boolean);
    const out = new Set<string>();
    let known = false;
    if (n.startsWith('tasks.')) {
      const svc = n.slice('tasks.'.length);
      for (const v of views)
        for (const ep of v.endpoints) {
          if (norm(ep.service) !== svc) continue;
          known = true;
          if (ep.serving) out.add(ep.address);
        }
      return { known, addresses: [...out].sort() };
    }
    let rotate = false;
    for (const v of views) {
      for (const [svc, vip] of Object.entries(v.vips)) {
        if (norm(svc) === n) {
          known = true;
          out.add(vip);
        }
      }
      for (const ep of v.endpoints) {
        const isService = norm(ep.service) === n && !Object.keys(v.vips).some((s) => norm(s) === n);
        const isAlias = ep.aliases.some((a) => norm(a) === n);
        const isTask = norm(ep.taskName) === n || norm(ep.taskId) === n;
        if (!isService && !isAlias && !isTask) continue;
        known = true;
        if (isService || isAlias) rotate = true;
        if (ep.serving) out.add(ep.address);
      }
    }
    const addresses = [...out].sort();
    if (rotate && addresses.length > 1) {
      const k = this.rotation++ % addresses.length;
      return { known, addresses: [...addresses.slice(k), ...addresses.slice(0, k)] };
    }
    return { known, addresses };
  }
}
