// Renders tsstack's whole packet-filtering state as one nftables batch: a table of its own (`ip tsstack`)
// replaced atomically on every change (add, delete, define in one transaction), so the kernel never holds a
// half-applied rule set and removal is one `delete table`. Pure: plain data in, nft text out.
//   prerouting/output (nat): published ports (host and ingress) and service VIPs -> DNAT, round-robin;
//                      output includes 127.0.0.1 (bridges carry route_localnet, postrouting masquerades)
//   postrouting (nat): outbound masquerade for non-internal networks, hairpin/VIP masquerade, SNAT of traffic
//                      sent to a task on another node (so replies come back through this node)
//   forward (filter): internal networks closed, networks isolated from each other

export const NFT_TABLE = 'tsstack';

export interface FirewallNetwork {
  id: string;
  bridge: string;
  subnet: string;
  internal: boolean;
  /** Overlay: this node's own address on the network, the source of traffic DNATed to remote tasks. */
  lbAddress?: string;
  /** Overlay: addresses of tasks on other nodes (destinations that need SNAT to lbAddress). */
  remoteAddresses?: string[];
}

export interface PortRule {
  protocol: 'tcp' | 'udp';
  published: number;
  target: number;
  /** Only packets to this host address; any local address when absent. */
  hostIp?: string;
  /** Task addresses to spread new connections over (round-robin); nothing is rendered when empty. */
  backends: string[];
}

export interface VipRule {
  vip: string;
  backends: string[];
}

export interface FirewallState {
  networks: FirewallNetwork[];
  ports: PortRule[];
  vips: VipRule[];
}

const q = (s: string) => JSON.stringify(s);

function dnatTarget(backends: string[], port?: number): string {
  const sorted = [...backends].sort();
  const suffix = port === undefined ? '' : `:${port}`;
  if (sorted.length === 1) return `dnat to ${sorted[0]}${suffix}`;
  if (port === undefined) {
    return `dnat to numgen inc mod ${sorted.length} map { ${sorted.map((b, i) => `${i} : ${b}`).join(', ')} }`;
  }
  return (
    `dnat ip addr . port to numgen inc mod ${sorted.length} map { ` +
    `${sorted.map((b, i) => `${i} : ${b} . ${port}`).join(', ')} }`
  );
}

function natRules(state: FirewallState): string[] {
  const rules: string[] = [];
  for (const v of state.vips) {
    if (v.backends.length) rules.push(`ip daddr ${v.vip} ${dnatTarget(v.backends)}`);
  }
  for (const p of state.ports) {
    if (!p.backends.length) continue;
    // output too: the host's own clients, 127.0.0.1 included (as `docker run -p` answers on localhost)
    const where = p.hostIp ? `ip daddr ${p.hostIp}` : 'fib daddr type local';
    rules.push(`${where} ${p.protocol} dport ${p.published} ${dnatTarget(p.backends, p.target)}`);
  }
  return rules;
}

function chain(name: string, hook: string, rules: string[]): string[] {
  return [`  chain ${name} {`, `    ${hook}`, ...rules.map((r) => `    ${r}`), '  }'];
}

/** The full table definition, without the replace preamble. */
export function renderTable(state: FirewallState, table = NFT_TABLE): string {
  const nets = [...state.networks].sort((a, b) => a.bridge.localeCompare(b.bridge));
  const post: string[] = [];
  const fwd: string[] = ['ct state established,related accept'];
  for (const n of nets) {
    const br = q(n.bridge);
    if (n.remoteAddresses?.length && n.lbAddress) {
      post.push(
        `oifname ${br} ct status dnat ip daddr { ${[...n.remoteAddresses].sort().join(', ')} } snat to ${n.lbAddress}`,
      );
    }
    post.push(`oifname ${br} ip saddr ${n.subnet} ct status dnat masquerade`);
    // a host client of 127.0.0.1:<published> DNATed onto the bridge: the task cannot answer 127.0.0.1
    post.push(`oifname ${br} ip saddr 127.0.0.0/8 masquerade`);
    if (!n.internal) post.push(`ip saddr ${n.subnet} oifname != ${br} masquerade`);
    if (n.internal) {
      fwd.push(`iifname ${br} oifname != ${br} drop`);
      fwd.push(`oifname ${br} iifname != ${br} drop`);
    }
  }
  fwd.push('ct status dnat accept');
  for (const n of nets) fwd.push(`iifname ${q(n.bridge)} oifname @bridges oifname != ${q(n.bridge)} drop`);
  const elements = nets.length ? ` elements = { ${nets.map((n) => q(n.bridge)).join(', ')} };` : '';
  return [
    `table ip ${table} {`,
    `  set bridges { type ifname;${elements} }`,
    ...chain('prerouting', 'type nat hook prerouting priority dstnat; policy accept;', natRules(state)),
    ...chain('output', 'type nat hook output priority -100; policy accept;', natRules(state)),
    ...chain('postrouting', 'type nat hook postrouting priority srcnat; policy accept;', post),
    ...chain('forward', 'type filter hook forward priority filter; policy accept;', fwd),
    '}',
  ].join('\n');
}

/** One atomic batch that replaces the table (creating it first so the delete never fails). */
export function renderReplaceBatch(state: FirewallState, table = NFT_TABLE): string {
  return `table ip ${table}\ndelete table ip ${table}\n${renderTable(state, table)}\n`;
}

/** One batch that removes the table whether or not it exists. */
export function renderDeleteBatch(table = NFT_TABLE): string {
  return `table ip ${table}\ndelete table ip ${table}\n`;
}
