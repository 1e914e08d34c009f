// The embedded DNS's view: which names each container may resolve. A container sees the service names,
// aliases, `tasks.<service>` and task names of the networks it is attached to, and only those; endpoints
// that are not serving (unhealthy, stopping) are left out. endpoint_mode vip: the service name and its
// aliases give the VIP only; `tasks.<svc>` gives task addresses; dnsrr: the service name gives the tasks. Pure and in memory; the server asks it per query.

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
  /**
   * The same addresses as ready-made A records (16 bytes each, name pointer 0xc00c, TTL 0), rotated like
   * `addresses`, so the server copies bytes instead of encoding (the hot path).
   */
  records?: Buffer;
}

const norm = (name: string) => (name.endsWith('.') ? name.slice(0, -1) : name).toLowerCase();

interface Entry {
  address: string;
  serving: boolean;
  /** Service and alias answers rotate; task names do not. */
  rotate: boolean;
}

/** One name's answer on one network, computed when the network changes. */
interface Answer {
  addresses: string[]; // serving, sorted
  records: Buffer;
  rotate: boolean;
}

/** A network's names, indexed once per change so a query is a map lookup and a byte copy. */
interface NetIndex {
  names: Map<string, Answer>;
  tasks: Map<string, Answer>;
}

/** A records for `addresses` (see DnsAnswer.records). */
export function aRecords(addresses: string[]): Buffer {
  const out = Buffer.alloc(addresses.length * 16);
  addresses.forEach((a, i) => {
    const off = i * 16;
    out.writeUInt16BE(0xc00c, off);
    out.writeUInt16BE(1, off + 2); // A
    out.writeUInt16BE(1, off + 4); // IN
    out.writeUInt32BE(0, off + 6); // TTL 0: answers follow health at once
    out.writeUInt16BE(4, off + 10);
    a.split('.').forEach((o, j) => (out[off + 12 + j] = Number(o)));
  });
  return out;
}

function push(map: Map<string, Entry[]>, key: string, e: Entry): void {
  const list = map.get(key);
  if (list) list.push(e);
  else map.set(key, [e]);
}

function answers(map: Map<string, Entry[]>): Map<string, Answer> {
  const out = new Map<string, Answer>();
  for (const [name, entries] of map) {
    const addresses = [...new Set(entries.filter((e) => e.serving).map((e) => e.address))].sort();
    out.set(name, { addresses, records: aRecords(addresses), rotate: entries.some((e) => e.rotate) });
  }
  return out;
}

function indexNetwork(view: DnsNetworkView): NetIndex {
  const vips = new Map(Object.entries(view.vips).map(([svc, vip]) => [norm(svc), vip]));
  const names = new Map<string, Entry[]>();
  const tasks = new Map<string, Entry[]>();
  for (const [svc, vip] of vips) push(names, svc, { address: vip, serving: true, rotate: false });
  for (const ep of view.endpoints) {
    const svc = norm(ep.service);
    push(tasks, svc, { address: ep.address, serving: ep.serving, rotate: false });
    if (!vips.has(svc)) push(names, svc, { address: ep.address, serving: ep.serving, rotate: true });
    // A vip service's aliases (the planner lists the service name itself among them) answer its VIP
    // only, as Swarm does; only dnsrr services and tasks.<svc> give task addresses.
    const vip = vips.get(svc);
    for (const a of ep.aliases) {
      if (vip) push(names, norm(a), { address: vip, serving: true, rotate: false });
      else push(names, norm(a), { address: ep.address, serving: ep.serving, rotate: true });
    }
    push(names, norm(ep.taskName), { address: ep.address, serving: ep.serving, rotate: false });
    if (norm(ep.taskId) !== norm(ep.taskName)) {
      push(names, norm(ep.taskId), { address: ep.address, serving: ep.serving, rotate: false });
    }
  }
  return { names: answers(names), tasks: answers(tasks) };
}

/** Receives every change of the name tables (the native fast path of the DNS server mirrors them). */
export interface DnsNamesSink {
  /** All names of one network: [name, A records, rotate]; `tasks.<svc>` names included. */
  setNetwork(id: string, entries: Array<[string, Buffer, boolean]>): void;
  removeNetwork(id: string): void;
  /** Client address -> ids of its networks. */
  setClients(clients: Array<[string, string[]]>): void;
}

function entriesOf(ix: NetIndex): Array<[string, Buffer, boolean]> {
  const out: Array<[string, Buffer, boolean]> = [];
  for (const [name, a] of ix.names) out.push([name, a.records, a.rotate]);
  for (const [svc, a] of ix.tasks) out.push([`tasks.${svc}`, a.records, false]);
  return out;
}

export class DnsNames {
  private readonly sinks = new Set<DnsNamesSink>();
  private readonly networks = new Map<string, DnsNetworkView>();
  private readonly indexes = new Map<string, NetIndex>();
  /** client address -> ids of the networks of the task that owns it. */
  private clients = new Map<string, string[]>();
  private rotation = 0;

  /** Replaces a network's view (endpoints on every node, with their serving state). */
  setNetwork(view: DnsNetworkView): void {
    const ix = indexNetwork(view);
    this.networks.set(view.id, view);
    this.indexes.set(view.id, ix);
    for (const s of this.sinks) s.setNetwork(view.id, entriesOf(ix));
    this.reindexClients();
  }

  removeNetwork(id: string): void {
    this.networks.delete(id);
    this.indexes.delete(id);
    for (const s of this.sinks) s.removeNetwork(id);
    this.reindexClients();
  }

  /** Mirrors the tables into `sink` from now on (starting with everything known). Returns a detach. */
  subscribe(sink: DnsNamesSink): () => void {
    this.sinks.add(sink);
    for (const [id, ix] of this.indexes) sink.setNetwork(id, entriesOf(ix));
    sink.setClients([...this.clients.entries()]);
    return () => this.sinks.delete(sink);
  }

  networkIds(): string[] {
    return [...this.networks.keys()];
  }

  private reindexClients(): void {
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
    if (this.sinks.size) {
      const list = [...clients.entries()];
      for (const s of this.sinks) s.setClients(list);
    }
  }

  /** Networks a client (by its source address) is attached to; undefined for strangers. */
  networksOf(clientAddress: string): string[] | undefined {
    return this.clients.get(clientAddress);
  }

  /** A-record answer of `name` for the container at `clientAddress`. */
  resolve(clientAddress: string, name: string): DnsAnswer {
    const nets = this.clients.get(clientAddress);
    if (!nets) return UNKNOWN;
    const n = norm(name);
    const tasksOf = n.startsWith('tasks.') ? n.slice('tasks.'.length) : undefined;
    const found: Answer[] = [];
    for (const id of nets) {
      const ix = this.indexes.get(id);
      const a = ix && (tasksOf !== undefined ? ix.tasks.get(tasksOf) : ix.names.get(n));
      if (a) found.push(a);
    }
    if (!found.length) return UNKNOWN;
    let addresses: string[];
    let records: Buffer;
    let rotate: boolean;
    if (found.length === 1) {
      ({ addresses, records, rotate } = found[0]);
    } else {
      addresses = [...new Set(found.flatMap((a) => a.addresses))].sort();
      records = aRecords(addresses);
      rotate = found.some((a) => a.rotate);
    }
    if (rotate && addresses.length > 1) {
      const k = this.rotation++ % addresses.length;
      return {
        known: true,
        addresses: [...addresses.slice(k), ...addresses.slice(0, k)],
        records: Buffer.concat([records.subarray(k * 16), records.subarray(0, k * 16)]),
      };
    }
    return { known: true, addresses, records };
  }
}

const UNKNOWN: DnsAnswer = Object.freeze({ known: false, addresses: [] }) as DnsAnswer;
