// IPAM: subnets for networks and addresses for endpoints. Pure and in memory: the caller passes the host's
// routes (read at run time by the driver) and persists `toJSON()` (ipam-store.ts). Compose `ipam` config is
// honoured (subnet, ip_range, gateway, a task's ipv4_address); without a subnet one is carved from the pools,
// never overlapping the host's routes or another network. Every problem of a bad config is reported at once,
// before anything is created.
import type { IpamConfig } from '@tsstack/model';
import { AddressExhaustedError, NetworkConfigError } from './errors';
import {
  type Cidr,
  cidrContains,
  cidrSize,
  cidrWithin,
  cidrsOverlap,
  formatCidr,
  intToIp,
  ipToInt,
  isIpv4,
  parseCidr,
} from './ipv4';

export type NetworkDriverName = 'bridge' | 'overlay';

export interface IpamPool {
  /** CIDR the pool carves subnets from. */
  base: string;
  /** Prefix length of each subnet carved. */
  size: number;
}

export const DEFAULT_POOLS: Record<NetworkDriverName, IpamPool[]> = {
  bridge: [{ base: '172.20.0.0/14', size: 24 }],
  overlay: [{ base: '10.240.0.0/12', size: 24 }],
};

export interface IpamNetwork {
  id: string;
  driver: NetworkDriverName;
  subnet: string;
  gateway: string;
  /** Range addresses are handed out from (Compose ip_range); the whole subnet when absent. */
  ipRange?: string;
  /** address -> owner (a task id, `vip:<service>`, `node:<id>`). The gateway is never listed. */
  allocations: Record<string, string>;
  /** Where the next search starts, so a released address is not handed out again at once. */
  cursor: number;
}

export interface IpamState {
  version: 1;
  networks: Record<string, IpamNetwork>;
}

export interface NetworkRequest {
  id: string;
  driver: string;
  ipam: IpamConfig[];
}

function hostRouteCidrs(hostRoutes: string[]): Array<{ text: string; cidr: Cidr }> {
  const out: Array<{ text: string; cidr: Cidr }> = [];
  for (const r of hostRoutes) {
    if (r === 'default' || r === '0.0.0.0/0') continue;
    const cidr = parseCidr(r.includes('/') ? r : `${r}/32`, false);
    if (cidr && cidr.len > 0) out.push({ text: r, cidr });
  }
  return out;
}

export class Ipam {
  private readonly state: IpamState;

  constructor(
    state?: IpamState,
    private readonly pools: Record<NetworkDriverName, IpamPool[]> = DEFAULT_POOLS,
  ) {
    this.state = state ? structuredClone(state) : { version: 1, networks: {} };
  }

  /** Per network, owner -> address: the reverse of `allocations`, so a lookup by owner is not a scan. */
  private readonly owners = new Map<string, Map<string, string>>();

  private ownerIndex(net: IpamNetwork): Map<string, string> {
    let idx = this.owners.get(net.id);
    if (!idx) {
      idx = new Map(Object.entries(net.allocations).map(([ip, owner]) => [owner, ip]));
      this.owners.set(net.id, idx);
    }
    return idx;
  }

  toJSON(): IpamState {
    return structuredClone(this.state);
  }

  network(id: string): IpamNetwork | undefined {
    return this.state.networks[id];
  }

  networks(): IpamNetwork[] {
    return Object.values(this.state.networks);
  }

  /** Routes of the host minus the ones tsstack's own networks put there. */
  private foreignRoutes(hostRoutes: string[]) {
    const ours = new Set(this.networks().map((n) => n.subnet));
    return hostRouteCidrs(hostRoutes).filter((r) => !ours.has(formatCidr(r.cidr)));
  }

  /** Every problem of a network request, empty when it can be created. */
  validate(req: NetworkRequest, hostRoutes: string[]): string[] {
    const problems: string[] = [];
    const at = `network ${req.id}`;
    if (req.driver !== 'bridge' && req.driver !== 'overlay') {
      problems.push(`${at}: unknown driver "${req.driver}" (use bridge or overlay)`);
    }
    if (req.ipam.length > 1)
      problems.push(`${at}: only one IPv4 ipam config is supported, got ${req.ipam.length}`);
    const cfg = req.ipam[0];
    if (!cfg) return problems;
    let subnet: Cidr | null = null;
    if (cfg.subnet !== undefined) {
      subnet = parseCidr(cfg.subnet);
      if (!subnet) problems.push(`${at}: subnet "${cfg.subnet}" is not an IPv4 CIDR with zero host bits`);
      else if (subnet.len > 30) problems.push(`${at}: subnet ${cfg.subnet} is too small (at most /30)`);
    } else if (cfg.gateway !== undefined || cfg.ipRange !== undefined) {
      problems.push(`${at}: gateway and ip_range need an explicit subnet`);
    }
    if (subnet) {
      for (const other of this.networks()) {
        if (other.id === req.id) continue;
        if (cidrsOverlap(subnet, parseCidr(other.subnet)!)) {
          problems.push(`${at}: subnet ${cfg.subnet} overlaps network ${other.id} (${other.subnet})`);
        }
      }
      for (const r of this.foreignRoutes(hostRoutes)) {
        if (cidrsOverlap(subnet, r.cidr)) {
          problems.push(
            `${at}: subnet ${cfg.subnet} collides with the host route ${r.text}; pick another subnet`,
          );
        }
      }
      if (cfg.gateway !== undefined) {
        if (!isIpv4(cfg.gateway)) problems.push(`${at}: gateway "${cfg.gateway}" is not an IPv4 address`);
        else {
          const g = ipToInt(cfg.gateway);
          if (!cidrContains(subnet, g))
            problems.push(`${at}: gateway ${cfg.gateway} is outside subnet ${cfg.subnet}`);
          else if (g === subnet.base || g === subnet.base + cidrSize(subnet) - 1) {
            problems.push(
              `${at}: gateway ${cfg.gateway} is the network or broadcast address of ${cfg.subnet}`,
            );
          }
        }
      }
      if (cfg.ipRange !== undefined) {
        const range = parseCidr(cfg.ipRange);
        if (!range) problems.push(`${at}: ip_range "${cfg.ipRange}" is not an IPv4 CIDR`);
        else if (!cidrWithin(range, subnet))
          problems.push(`${at}: ip_range ${cfg.ipRange} is outside subnet ${cfg.subnet}`);
      }
    }
    return problems;
  }

  /**
   * Creates a network's address plan. Idempotent: an existing network of the same id is returned as it is
   * (a changed ipam config of an existing network is refused: remove and re-create it).
   */
  createNetwork(req: NetworkRequest, hostRoutes: string[]): IpamNetwork {
    const existing = this.state.networks[req.id];
    const problems = this.validate(req, hostRoutes);
    if (existing) {
      const want = req.ipam[0]?.subnet;
      if (want && want !== existing.subnet) {
        problems.push(
          `network ${req.id}: exists with subnet ${existing.subnet}; remove it to change to ${want}`,
        );
      }
      if (problems.length) throw new NetworkConfigError(problems);
      return structuredClone(existing);
    }
    if (problems.length) throw new NetworkConfigError(problems);
    const cfg = req.ipam[0] ?? {};
    const subnet = cfg.subnet
      ? parseCidr(cfg.subnet)!
      : this.carve(req.driver as NetworkDriverName, hostRoutes);
    const gateway = cfg.gateway ?? intToIp(subnet.base + 1);
    const net: IpamNetwork = {
      id: req.id,
      driver: req.driver as NetworkDriverName,
      subnet: formatCidr(subnet),
      gateway,
      allocations: {},
      cursor: 0,
    };
    if (cfg.ipRange) net.ipRange = cfg.ipRange;
    this.state.networks[req.id] = net;
    return structuredClone(net);
  }

  /** Records a network whose subnet someone else chose (an overlay network from the controller). */
  adoptNetwork(
    id: string,
    driver: NetworkDriverName,
    subnet: string,
    gateway: string,
    ipRange?: string,
  ): IpamNetwork {
    const existing = this.state.networks[id];
    if (existing && existing.subnet === subnet) return structuredClone(existing);
    const cidr = parseCidr(subnet);
    if (!cidr) throw new NetworkConfigError([`network ${id}: subnet "${subnet}" is not an IPv4 CIDR`]);
    const clash = this.networks().find((n) => n.id !== id && cidrsOverlap(cidr, parseCidr(n.subnet)!));
    if (clash)
      throw new NetworkConfigError([
        `network ${id}: subnet ${subnet} overlaps network ${clash.id} (${clash.subnet})`,
      ]);
    this.owners.delete(id);
    this.state.networks[id] = {
      id,
      driver,
      subnet,
      gateway,
      allocations: existing?.allocations ?? {},
      cursor: 0,
    };
    if (ipRange) this.state.networks[id].ipRange = ipRange;
    return structuredClone(this.state.networks[id]);
  }

  private carve(driver: NetworkDriverName, hostRoutes: string[]): Cidr {
    const taken = [
      ...this.networks().map((n) => parseCidr(n.subnet)!),
      ...this.foreignRoutes(hostRoutes).map((r) => r.cidr),
    ];
    for (const pool of this.pools[driver] ?? []) {
      const base = parseCidr(pool.base)!;
      const step = 2 ** (32 - pool.size);
      for (let b = base.base; b < base.base + cidrSize(base); b += step) {
        const c = { base: b >>> 0, len: pool.size };
        if (!taken.some((t) => cidrsOverlap(t, c))) return c;
      }
    }
    throw new AddressExhaustedError(
      `no free subnet left in the ${driver} pools (${(this.pools[driver] ?? []).map((p) => p.base).join(', ')}); ` +
        'remove unused networks or configure larger pools',
    );
  }

  removeNetwork(id: string): void {
    delete this.state.networks[id];
    this.owners.delete(id);
  }

  /**
   * Allocates an address to `owner` (idempotent: an owner keeps its address). `requested` (Compose
   * ipv4_address) must be inside the subnet and free.
   */
  allocate(networkId: string, owner: string, requested?: string): string {
    const net = this.state.networks[networkId];
    if (!net) throw new NetworkConfigError([`network ${networkId} does not exist`]);
    const owners = this.ownerIndex(net);
    const held = owners.get(owner);
    if (held && (!requested || requested === held)) return held;
    const subnet = parseCidr(net.subnet)!;
    const first = subnet.base + 1;
    const last = subnet.base + cidrSize(subnet) - 2;
    if (requested) {
      const problems: string[] = [];
      if (!isIpv4(requested)) problems.push(`ipv4_address "${requested}" is not an IPv4 address`);
      else {
        const r = ipToInt(requested);
        if (r < first || r > last)
          problems.push(`ipv4_address ${requested} is outside network ${networkId} (${net.subnet})`);
        else if (requested === net.gateway)
          problems.push(`ipv4_address ${requested} is the gateway of ${networkId}`);
        else if (net.allocations[requested] && net.allocations[requested] !== owner) {
          problems.push(
            `ipv4_address ${requested} on ${networkId} is already used by ${net.allocations[requested]}`,
          );
        }
      }
      if (problems.length) throw new NetworkConfigError(problems);
      if (held) delete net.allocations[held];
      net.allocations[requested] = owner;
      owners.set(owner, requested);
      return requested;
    }
    const range = net.ipRange ? parseCidr(net.ipRange)! : subnet;
    const lo = Math.max(first, range.base);
    const hi = Math.min(last, range.base + cidrSize(range) - 1);
    const count = hi - lo + 1;
    for (let i = 0; i < count; i++) {
      const n = lo + ((net.cursor + i) % count);
      const ip = intToIp(n);
      if (ip === net.gateway || net.allocations[ip]) continue;
      net.allocations[ip] = owner;
      owners.set(owner, ip);
      net.cursor = (n - lo + 1) % count;
      return ip;
    }
    throw new AddressExhaustedError(`network ${networkId} (${net.subnet}) has no free address left`);
  }

  /** Releases every address `owner` holds on a network (or on all networks). Safe to call twice. */
  release(owner: string, networkId?: string): void {
    for (const net of this.networks()) {
      if (networkId && net.id !== networkId) continue;
      const owners = this.ownerIndex(net);
      const ip = owners.get(owner);
      if (ip === undefined) continue;
      delete net.allocations[ip];
      owners.delete(owner);
    }
  }
}
