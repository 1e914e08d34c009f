// The node's network driver: the one object the agent talks to. It owns this host's tsstack networks (bridge
// and overlay), task attachments, published ports, VIPs and the embedded DNS, keeps them in
// <stateDir>/network-state.json, and after a restart re-adopts what it made (open) or removes what is no
// longer wanted (reconcile). Decisions are delegated to the pure planners (ipam, link-plan, firewall-plan,
// nft-ruleset, dns-names); this class only sequences them with the netlink binding, nft and the DNS server.
// Every mutation is serialized, so concurrent agent calls never interleave kernel changes.
import type { IngressPort, NetworkAssignment, NetworkEndpoint } from '@tsstack/model';
import { DnsNames, type DnsEndpoint } from './dns-names';
import { DnsServer, readUpstreams } from './dns.server';
import { NetworkConfigError, NetworkInUseError } from './errors';
import { opensInbound, planFirewall } from './firewall-plan';
import { claimNetns } from './netns-claim';
import { FirewallSync } from './firewall-sync';
import { planHostPorts, type PortRequest } from './port-plan';
import { Ipam, type NetworkDriverName } from './ipam';
import { intToIp, parseCidr } from './ipv4';
import {
  attachOps,
  detachOps,
  networkDownOps,
  networkUpOps,
  overlayPeerOps,
  VXLAN_OVERHEAD,
  vipOps,
} from './link-plan';
import { netlink, type NlOp } from './native/net-binding';
import { bridgeName, hostVethName, macForAddress, safeTaskId, TSSTACK_LINK, vxlanName } from './names';
import { createTaskNetns, DEFAULT_NETNS_DIR, listTaskNetns, removeTaskNetns } from './netns';
import { NftDriver } from './nft.driver';
import { emptyState, StateFile } from './state-file';
import type {
  AttachRequest,
  AttachResult,
  AttachmentRecord,
  NetworkCreateRequest,
  NetworkInfo,
  NetworkInventory,
  NetworkManagerOptions,
  NetworkRecord,
  NetworkState,
  PublishedPort,
} from './types';

/**
 * A run waits this long for more changes: the tasks of a rolling-update batch attach and detach a few ms
 * apart, and each `nft` run is a process (10-40 ms of CPU on a 2-core host) that would otherwise serve one.
 */
const FIREWALL_GATHER_MS = 15;

function info(n: NetworkRecord): NetworkInfo {
  const { lbAddress: _lb, remote: _r, ...rest } = n;
  return structuredClone(rest);
}

export class NetworkManager {
  private state: NetworkState = emptyState();
  private readonly file: StateFile;
  private ipam!: Ipam;
  private readonly names = new DnsNames();
  private readonly dns: DnsServer;
  private readonly nft: NftDriver;
  private readonly netnsDir: string;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly firewall: FirewallSync;
  private readonly namesDirty = new Set<string>();
  private namesFlush?: Promise<void>;
  /** The firewall sync the running mutation asked for (see serial()). */
  private firewallDue?: Promise<void>;
  /** Attachments whose kernel work is under way (address reserved, not yet in `state`). */
  private readonly pending = new Map<string, AttachmentRecord>();
  /** Gives up this manager's claim on its network namespace (see netns-claim.ts). */
  private releaseClaim: () => void = () => undefined;

  private constructor(private readonly opts: NetworkManagerOptions) {
    this.netnsDir = opts.netnsDir ?? DEFAULT_NETNS_DIR;
    this.dns = new DnsServer({
      names: this.names,
      upstreams: opts.upstreams ?? readUpstreams(),
      hostNetns: opts.hostNetns,
      port: opts.dnsPort,
    });
    this.nft = new NftDriver(opts.hostNetns);
    this.firewall = new FirewallSync(
      () => planFirewall(this.state, this.opts.nodeId, this.opts.dnsPort),
      this.nft,
      FIREWALL_GATHER_MS,
    );
    this.file = new StateFile(opts.stateDir);
  }

  /**
   * Loads the persisted state and re-adopts it: links of known networks are (re)created if missing, DNS
   * listens again, the nft table is re-applied. Containers keep running across an agent restart.
   */
  static async open(opts: NetworkManagerOptions): Promise<NetworkManager> {
    const release = claimNetns(opts.stateDir, opts.hostNetns);
    const m = new NetworkManager(opts);
    m.releaseClaim = release;
    try {
      m.state = m.file.load();
      m.ipam = new Ipam(m.state.ipam, opts.pools);
      await m.serial(async () => {
        for (const n of Object.values(m.state.networks)) {
          await netlink.apply(networkUpOps(n, opts.hostNetns, opts.nodeAddress));
          await netlink.apply(overlayPeerOps(n, [], m.remotePeers(n), opts.hostNetns));
          await m.dns.listen(n.gateway);
          m.refreshNames(n.id);
        }
        await m.firewall.request(true);
      });
    } catch (err) {
      await m.dns.close().catch(() => undefined);
      release();
      throw err;
    }
    return m;
  }

  /**
   * Stops the DNS server and gives up the namespace claim; kernel state stays (containers keep their network
   * across an agent restart).
   */
  async close(): Promise<void> {
    await this.namesFlush;
    await this.serial(() => this.dns.close());
    this.releaseClaim();
  }

  /**
   * Runs one mutation at a time; the returned promise settles once the state it wrote is on disk and the
   * DNS names and firewall it changed are live, but the next mutation waits for none of these (writes,
   * re-indexes and nft runs of concurrent calls are coalesced).
   */
  private serial<T>(fn: () => Promise<T>, o: { waitRules?: boolean } = {}): Promise<T> {
    const run = this.queue.then(fn, fn).then(
      (result) => ({ result, firewall: this.takeFirewallDue(), names: this.namesFlush }),
      (err: unknown) => {
        this.takeFirewallDue();
        throw err;
      },
    );
    this.queue = run.catch(() => undefined);
    return run.then(async ({ result, firewall, names }) => {
      await Promise.all([this.file.flushed(), names, o.waitRules === false ? undefined : firewall]);
      return result;
    });
  }

  /** Inside serial(): the rules changed; the mutation's caller waits for them after the lock is released. */
  private syncFirewall(): void {
    const due = this.firewall.request();
    due.catch(() => undefined); // the caller that awaits it sees the error
    this.firewallDue = due;
  }

  private takeFirewallDue(): Promise<void> | undefined {
    const due = this.firewallDue;
    this.firewallDue = undefined;
    return due;
  }

  /** Schedules a write of the state (see StateFile); serial() waits for it before resolving. */
  private persist(): void {
    this.file.schedule(() => {
      this.state.ipam = this.ipam.toJSON();
      return this.state;
    });
  }

  private async hostRoutes(): Promise<string[]> {
    return (await netlink.routes(this.opts.hostNetns)).map((r) => r.dst);
  }

  private async underlayMtu(): Promise<number> {
    if (this.opts.underlayMtu) return this.opts.underlayMtu;
    if (!this.opts.nodeAddress) return 1500;
    const addr = (await netlink.addrs(this.opts.hostNetns)).find((a) => a.address === this.opts.nodeAddress);
    const link = addr && (await netlink.links(this.opts.hostNetns)).find((l) => l.index === addr.index);
    return link?.mtu ? Number(link.mtu) : 1500;
  }

  // ---- networks ----

  /**
   * Creates a network on this host (bridge, or bridge + VXLAN for overlay), its DNS listener and rules.
   * Idempotent for the same request. A bad config fails with NetworkConfigError before anything is made.
   */
  createNetwork(req: NetworkCreateRequest): Promise<NetworkInfo> {
    return this.serial(async () => {
      const existing = this.state.networks[req.id];
      if (existing) return info(existing);
      const driver = req.driver as NetworkDriverName;
      let subnet: string;
      let gateway: string;
      if (req.subnet) {
        // Chosen by the controller: checked against this host, then adopted as it is.
        const ipRange = req.ipam?.[0]?.ipRange;
        const problems = this.ipam.validate(
          { id: req.id, driver: req.driver, ipam: [{ subnet: req.subnet, gateway: req.gateway, ipRange }] },
          await this.hostRoutes(),
        );
        if (driver === 'overlay' && !req.vni)
          problems.push(`network ${req.id}: an overlay network needs a VNI`);
        if (problems.length) throw new NetworkConfigError(problems);
        subnet = req.subnet;
        gateway = req.gateway || intToIp(parseCidr(subnet)!.base + 1);
        this.ipam.adoptNetwork(req.id, driver, subnet, gateway, ipRange);
      } else {
        if (driver === 'overlay' && !req.vni) {
          throw new NetworkConfigError([`network ${req.id}: an overlay network needs a VNI`]);
        }
        const n = this.ipam.createNetwork(
          { id: req.id, driver: req.driver, ipam: req.ipam ?? [] },
          await this.hostRoutes(),
        );
        subnet = n.subnet;
        gateway = n.gateway;
      }
      const reserved = [req.lbAddress, ...Object.values(req.vips ?? {})].filter((x): x is string => !!x);
      for (const r of reserved) this.ipam.allocate(req.id, r === req.lbAddress ? 'node' : `vip:${r}`, r);
      const mtu =
        driver === 'overlay' ? (await this.underlayMtu()) - VXLAN_OVERHEAD : await this.underlayMtu();
      const rec: NetworkRecord = {
        id: req.id,
        driver,
        internal: !!req.internal,
        subnet,
        gateway,
        bridge: bridgeName(req.id),
        mtu,
        vips: { ...(req.vips ?? {}) },
        remote: [],
        ...(req.openInbound ? { openInbound: true } : {}),
      };
      if (driver === 'overlay') {
        rec.vxlan = vxlanName(req.id);
        rec.vni = req.vni;
        if (req.lbAddress) rec.lbAddress = req.lbAddress;
      }
      try {
        await netlink.apply(networkUpOps(rec, this.opts.hostNetns, this.opts.nodeAddress));
        this.state.networks[req.id] = rec;
        await this.dns.listen(gateway);
        this.refreshNames(req.id);
        await this.firewall.request();
      } catch (e) {
        delete this.state.networks[req.id];
        await netlink.apply(networkDownOps(rec, this.opts.hostNetns)).catch(() => undefined);
        await this.dns.unlisten(gateway);
        this.ipam.removeNetwork(req.id);
        throw e;
      } finally {
        this.persist();
      }
      return info(rec);
    });
  }

  /** Removes a network with no task attached: links, DNS listener, rules, IPAM. Safe for a missing id. */
  removeNetwork(networkId: string): Promise<void> {
    return this.serial(async () => {
      const n = this.state.networks[networkId];
      if (!n) return;
      const users = this.state.attachments.filter((a) => a.networkId === networkId).map((a) => a.taskId);
      if (users.length) throw new NetworkInUseError(networkId, users);
      await this.dropNetwork(n);
    });
  }

  private async dropNetwork(n: NetworkRecord): Promise<void> {
    await this.dns.unlisten(n.gateway);
    await netlink.apply(networkDownOps(n, this.opts.hostNetns));
    delete this.state.networks[n.id];
    this.names.removeNetwork(n.id);
    this.ipam.removeNetwork(n.id);
    this.syncFirewall();
    this.persist();
  }

  networks(): NetworkInfo[] {
    return Object.values(this.state.networks).map(info);
  }

  /** Allocates (once) a VIP for a service on a local network (endpoint_mode vip on one host). */
  ensureServiceVip(networkId: string, service: string): Promise<string> {
    return this.serial(async () => {
      const n = this.requireNetwork(networkId);
      if (n.vips[service]) return n.vips[service];
      const vip = this.ipam.allocate(networkId, `vip:${service}`);
      n.vips[service] = vip;
      await netlink.apply(vipOps(n, [], [vip], this.opts.hostNetns));
      this.refreshNames(networkId);
      this.syncFirewall();
      this.persist();
      return vip;
    });
  }

  /**
   * Applies the controller's view of a network: creates it when missing, then programs the VXLAN FDB and
   * neighbour entries of endpoints on other nodes, VIPs, DNS records and VIP/ingress backends. Idempotent.
   */
  async applyAssignment(a: NetworkAssignment): Promise<NetworkInfo> {
    const me = a.nodeEndpoints?.find((e) => e.nodeId === this.opts.nodeId);
    await this.createNetwork({
      id: a.id,
      driver: a.spec.driver,
      internal: a.spec.internal,
      ipam: a.spec.ipam,
      subnet: a.subnet || undefined,
      gateway: a.gateway,
      vni: a.vni,
      lbAddress: me?.address,
      vips: a.vips,
      openInbound: opensInbound(a.spec.driverOpts),
    });
    return this.serial(async () => {
      const n = this.requireNetwork(a.id);
      const remoteNodes = (a.nodeEndpoints ?? [])
        .filter((e) => e.nodeId !== this.opts.nodeId)
        .map((e) => ({
          taskId: `node:${e.nodeId}`,
          taskName: '',
          service: '',
          aliases: [],
          address: e.address,
          mac: macForAddress(e.address),
          nodeId: e.nodeId,
          nodeAddress: e.nodeAddress,
          serving: false,
        }));
      const before = this.remotePeers(n);
      n.remote = [
        ...a.endpoints.filter(
          (ep) => ep.nodeId !== this.opts.nodeId && ep.nodeAddress !== this.opts.nodeAddress,
        ),
        ...remoteNodes,
      ];
      const oldVips = Object.values(n.vips);
      for (const [svc, vip] of Object.entries(a.vips)) {
        if (n.vips[svc] !== vip) this.ipam.allocate(a.id, `vip:${svc}`, vip);
      }
      n.vips = { ...a.vips };
      const lbOps = me?.address && me.address !== n.lbAddress ? this.moveLbAddress(n, me.address) : [];
      // Local serving state is the agent's (setServing), not the controller's copy of it.
      await netlink.apply([
        ...lbOps,
        ...overlayPeerOps(n, before, this.remotePeers(n), this.opts.hostNetns),
        ...vipOps(n, oldVips, Object.values(n.vips), this.opts.hostNetns),
      ]);
      this.refreshNames(a.id);
      this.syncFirewall();
      this.persist();
      return info(n);
    });
  }

  /**
   * This node's own address on an overlay arrived (or changed) after the network was made: the bridge takes
   * it and the MAC derived from it, which the other nodes program for it.
   */
  private moveLbAddress(n: NetworkRecord, address: string): NlOp[] {
    const netns = this.opts.hostNetns;
    const prefix = Number(n.subnet.split('/')[1]);
    const ops: NlOp[] = [];
    if (n.lbAddress) {
      ops.push({ op: 'addrDel', netns, name: n.bridge, address: n.lbAddress, prefix, ignoreMissing: true });
    }
    this.ipam.release('node', n.id);
    this.ipam.allocate(n.id, 'node', address);
    n.lbAddress = address;
    ops.push({ op: 'linkSet', netns, name: n.bridge, mac: macForAddress(address) });
    ops.push({ op: 'addrAdd', netns, name: n.bridge, address, prefix, ignoreExisting: true });
    return ops;
  }

  private remotePeers(n: NetworkRecord): NetworkEndpoint[] {
    return n.driver === 'overlay' ? n.remote.filter((ep) => ep.nodeAddress) : [];
  }

  private requireNetwork(id: string): NetworkRecord {
    const n = this.state.networks[id];
    if (!n) throw new NetworkConfigError([`network ${id} does not exist on this node; create it first`]);
    return n;
  }

  // ---- tasks ----

  /** See createTaskNetns in netns.ts; the namespace lives under this manager's netnsDir. */
  createTaskNetns(taskId: string): Promise<string> {
    return createTaskNetns(taskId, this.netnsDir);
  }

  /** Detaches the task from every network, then removes its namespace. Safe to call twice. */
  async removeTaskNetns(taskId: string): Promise<void> {
    await this.detachTask(taskId);
    await removeTaskNetns(taskId, this.netnsDir);
  }

  /**
   * Connects a task's namespace to a network: veth (peer created inside the namespace as eth<N>), address
   * from IPAM (or the one asked/assigned), default route via the first non-internal network, DNS records.
   * Idempotent per (task, network).
   */
  async attachTask(req: AttachRequest): Promise<AttachResult> {
    safeTaskId(req.taskId);
    // 1. under the lock: address and interface name are reserved ...
    const planned = await this.serial(async () => {
      const n = this.requireNetwork(req.networkId);
      const existing = this.state.attachments.find(
        (x) => x.taskId === req.taskId && x.networkId === req.networkId,
      );
      if (existing) return { a: existing, n, done: true };
      if (this.pending.has(`${req.taskId}/${n.id}`)) {
        throw new NetworkConfigError([`task ${req.taskId} is already being attached to ${n.id}`]);
      }
      const mine = [...this.state.attachments, ...this.pending.values()].filter(
        (x) => x.taskId === req.taskId,
      );
      const address = this.ipam.allocate(n.id, req.taskId, req.address);
      const a: AttachmentRecord = {
        taskId: req.taskId,
        networkId: n.id,
        netnsPath: req.netnsPath,
        ifName: `eth${this.nextIfIndex(mine)}`,
        hostVeth: hostVethName(req.taskId, n.id),
        address,
        mac: macForAddress(address),
        aliases: req.aliases ?? [],
        service: req.service,
        stack: req.stack,
        taskName: req.taskName ?? req.taskId,
        serving: req.serving ?? true,
        defaultRoute: !n.internal && !mine.some((x) => x.defaultRoute),
      };
      // Not persisted yet: if the agent dies now, the veth is a stray the next reconcile removes.
      this.pending.set(`${req.taskId}/${n.id}`, a);
      return { a, n, done: false };
    });
    if (planned.done) return this.attachResult(planned.a);
    const { a, n } = planned;
    // 2. ... the kernel work runs outside it, so attaches of different tasks proceed in parallel ...
    try {
      await netlink.apply(attachOps(n, a, this.opts.hostNetns));
    } catch (e) {
      await netlink.apply(detachOps(a, this.opts.hostNetns)).catch(() => undefined);
      await this.serial(async () => {
        this.pending.delete(`${a.taskId}/${n.id}`);
        this.ipam.release(a.taskId, n.id);
        this.persist();
      });
      throw e;
    }
    // 3. ... and the result is recorded, named in DNS and given to the firewall under the lock again.
    return this.serial(
      async () => {
        this.pending.delete(`${a.taskId}/${n.id}`);
        this.state.attachments.push(a);
        this.refreshNames(n.id);
        this.syncFirewall();
        this.persist();
        return this.attachResult(a);
      },
      { waitRules: !req.deferRules },
    );
  }

  private nextIfIndex(mine: AttachmentRecord[]): number {
    const used = new Set(mine.map((x) => Number(x.ifName.slice(3))));
    let i = 0;
    while (used.has(i)) i++;
    return i;
  }

  private attachResult(a: AttachmentRecord): AttachResult {
    const n = this.state.networks[a.networkId];
    const first = this.state.attachments.find((x) => x.taskId === a.taskId) ?? a;
    const dnsServer = this.state.networks[first.networkId].gateway;
    const resolvConfPath = this.file.writeResolvConf(a.taskId, dnsServer);
    return {
      interface: a.ifName,
      address: a.address,
      prefix: Number(n.subnet.split('/')[1]),
      gateway: n.gateway,
      mac: a.mac,
      mtu: n.mtu,
      dnsServer,
      resolvConfPath,
    };
  }

  /**
   * Disconnects a task from one network, or from all: veth, address, DNS records, ports. Safe twice. Like
   * attachTask, the kernel work (deleting veths is slow) runs outside the lock, so a batch of tasks leaving
   * does not hold up the tasks starting beside it; the addresses are freed only once the veths are gone.
   */
  async detachTask(taskId: string, networkId?: string): Promise<void> {
    // 1. under the lock: out of the state, DNS, firewall and ports ...
    const { gone, last } = await this.serial(async () => {
      const leaving = this.state.attachments.filter(
        (a) => a.taskId === taskId && (!networkId || a.networkId === networkId),
      );
      this.state.attachments = this.state.attachments.filter((a) => !leaving.includes(a));
      const last = !this.state.attachments.some((a) => a.taskId === taskId);
      if (last) delete this.state.published[taskId];
      for (const id of new Set(leaving.map((a) => a.networkId))) this.refreshNames(id);
      if (leaving.length) this.syncFirewall();
      this.persist();
      return { gone: leaving, last };
    });
    // 2. ... the veths (and the resolv.conf of a task on no network any more) are deleted outside it ...
    try {
      await Promise.all([
        netlink.apply(gone.flatMap((a) => detachOps(a, this.opts.hostNetns))),
        last ? this.file.removeResolvConf(taskId) : undefined,
      ]);
    } finally {
      // 3. ... and then their addresses may go to other tasks (also when a delete failed: the peer dies
      // with the task's namespace, and the stray host end is swept by reconcile).
      await this.serial(async () => {
        for (const a of gone) this.ipam.release(taskId, a.networkId);
        if (!networkId) this.ipam.release(taskId); // also an address reserved by an attach that never finished
        this.persist();
      });
    }
  }

  /** Resolves once the packet filter carries every change made before this call (see deferRules). */
  rulesApplied(): Promise<void> {
    return this.firewall.request();
  }

  /**
   * Puts a task in or out of DNS answers and VIP/ingress backends (out before it is stopped, or when its
   * health check fails). Existing connections keep flowing (conntrack); only new ones avoid the task.
   */
  setServing(taskId: string, serving: boolean): Promise<void> {
    return this.serial(async () => {
      const mine = this.state.attachments.filter((a) => a.taskId === taskId);
      for (const a of mine) a.serving = serving;
      for (const id of new Set(mine.map((a) => a.networkId))) this.refreshNames(id);
      this.syncFirewall();
      this.persist();
    });
  }

  /**
   * Host-mode published ports of a task (replaces its previous list; [] removes them). A port without
   * `published` gets a free ephemeral one; the ports as published are returned. Port ranges: one entry per
   * port. A port another task holds is refused with NetworkConfigError and nothing changes.
   */
  publishPorts(taskId: string, ports: PortRequest[]): Promise<PublishedPort[]> {
    return this.serial(async () => {
      const plan = planHostPorts(taskId, ports, this.state.published);
      if (plan.problems.length) throw new NetworkConfigError(plan.problems);
      if (plan.ports.length) this.state.published[taskId] = plan.ports;
      else delete this.state.published[taskId];
      this.syncFirewall();
      this.persist();
      return plan.ports.map((p) => ({ ...p }));
    });
  }

  /** The routing mesh: every listed port is accepted on this node and sent to a serving task of its service. */
  setIngress(ports: IngressPort[]): Promise<void> {
    return this.serial(async () => {
      this.state.ingress = ports.map((p) => ({ ...p }));
      this.syncFirewall();
      this.persist();
    });
  }

  /**
   * The network's DNS names changed: they are re-indexed once for every change made until the next turn of
   * the event loop (a batch of tasks leaving a service costs one re-index, not one per task); a mutation
   * returns only after that (see serial()).
   */
  private refreshNames(networkId: string): void {
    this.namesDirty.add(networkId);
    this.namesFlush ??= new Promise<void>((resolve) =>
      setImmediate(() => {
        this.namesFlush = undefined;
        const ids = [...this.namesDirty];
        this.namesDirty.clear();
        for (const id of ids) this.applyNames(id);
        resolve();
      }),
    );
  }

  private applyNames(networkId: string): void {
    const n = this.state.networks[networkId];
    if (!n) return this.names.removeNetwork(networkId);
    const local: DnsEndpoint[] = this.state.attachments
      .filter((a) => a.networkId === networkId)
      .map((a) => ({
        taskId: a.taskId,
        taskName: a.taskName,
        service: a.service,
        aliases: a.aliases,
        address: a.address,
        serving: a.serving,
      }));
    const localIds = new Set(local.map((e) => e.taskId));
    const remote = n.remote.filter((ep) => ep.service && !localIds.has(ep.taskId));
    this.names.setNetwork({ id: n.id, vips: n.vips, endpoints: [...local, ...remote] });
  }

  // ---- cleanup and inspection ----

  /**
   * Removes everything not wanted any more: tasks not in `tasks` are detached and their namespaces removed;
   * networks not in `networks` are removed; stray tsstack links and namespace files that the state does
   * not know (left by a crash) are deleted. `reconcile({tasks: [], networks: []})` leaves nothing.
   */
  async reconcile(want: { tasks: string[]; networks: string[] }): Promise<void> {
    const keepTasks = new Set(want.tasks);
    const taskIds = new Set([
      ...this.state.attachments.map((a) => a.taskId),
      ...listTaskNetns(this.netnsDir),
    ]);
    for (const t of taskIds) if (!keepTasks.has(t)) await this.removeTaskNetns(t);
    await this.serial(async () => {
      for (const n of Object.values(this.state.networks)) {
        if (want.networks.includes(n.id)) continue;
        for (const a of this.state.attachments.filter((x) => x.networkId === n.id)) {
          await netlink.apply(detachOps(a, this.opts.hostNetns));
          this.ipam.release(a.taskId, n.id);
        }
        this.state.attachments = this.state.attachments.filter((x) => x.networkId !== n.id);
        await this.dropNetwork(n);
      }
      const known = new Set<string>();
      for (const n of Object.values(this.state.networks)) {
        known.add(n.bridge);
        if (n.vxlan) known.add(n.vxlan);
      }
      for (const a of this.state.attachments) known.add(a.hostVeth);
      const stray = (await netlink.links(this.opts.hostNetns)).filter(
        (l) => TSSTACK_LINK.test(l.name) && !known.has(l.name),
      );
      await netlink.apply(
        stray.map((l) => ({
          op: 'linkDel' as const,
          netns: this.opts.hostNetns,
          name: l.name,
          ignoreMissing: true,
        })),
      );
      for (const id of Object.keys(this.state.ipam.networks)) {
        if (!this.state.networks[id]) this.ipam.removeNetwork(id);
      }
      await this.firewall.request(true);
      this.persist();
    });
  }

  /** What tsstack holds right now on this host (kernel and disk). */
  async inventory(): Promise<NetworkInventory> {
    const links = (await netlink.links(this.opts.hostNetns))
      .map((l) => l.name)
      .filter((name) => TSSTACK_LINK.test(name));
    const ipam = this.ipam.toJSON();
    return {
      netns: listTaskNetns(this.netnsDir),
      links,
      nftTable: await this.nft.list(),
      ipamNetworks: Object.keys(ipam.networks),
      allocations: Object.values(ipam.networks).reduce((s, n) => s + Object.keys(n.allocations).length, 0),
      dnsAddresses: this.dns.addresses(),
      resolvConfs: this.file.resolvConfs(),
    };
  }
}
