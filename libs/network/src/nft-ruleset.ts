// Renders tsstack's whole packet-filtering state as one nftables batch in a table of its own (`ip tsstack`).
// Every change replaces tsstack's chains and refills its sets in one transaction, so the kernel never holds a
// half-applied rule set; the operator's chain `tsstack-user` in the same table is created once and never
// touched (Docker's DOCKER-USER). Pure: plain data in, nft text out.
//   prerouting/output (nat): published ports (host and ingress) and service VIPs -> DNAT, round-robin;
//                      a port published on a loopback address only in output: it answers on lo alone
//   postrouting (nat): outbound masquerade for non-internal networks, hairpin/VIP masquerade, SNAT of traffic
//                      sent to a task on another node (so replies come back through this node)
//   localnet (filter, prerouting before DNAT): 127.0.0.0/8 arriving on any link but lo is dropped, as
//                      Kubernetes does: bridges carry route_localnet for 127.0.0.1 publishes (CVE-2020-8558)
//   forward (filter):  the operator's tsstack-user first; then internal networks closed, networks isolated
//                      from each other, and new connections from outside into a network dropped unless they
//                      were DNATed to a published port (or the network allows inbound, see FirewallNetwork)
//   input (filter):    VXLAN of tsstack's VNIs only from the other nodes, the embedded DNS only from containers
//                      and the host

export const NFT_TABLE = 'tsstack';
/** The operator's chain, jumped to first from forward; tsstack never changes what is in it. */
export const USER_CHAIN = 'tsstack-user';
const OWN_CHAINS = ['prerouting', 'output', 'postrouting', 'localnet', 'forward', 'input'];
const SETS: Record<string, string> = {
  bridges: 'ifname',
  vxlan_peers: 'ipv4_addr',
  dns_addresses: 'ipv4_addr',
};

export interface FirewallNetwork {
  id: string;
  bridge: string;
  subnet: string;
  internal: boolean;
  /** Overlay: this node's own address on the network, the source of traffic DNATed to remote tasks. */
  lbAddress?: string;
  /** Overlay: addresses of tasks on other nodes (destinations that need SNAT to lbAddress). */
  remoteAddresses?: string[];
  /** New connections from outside may reach every port of the network's tasks (not only published ones). */
  openInbound?: boolean;
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
  /** Underlay addresses of the other nodes with overlay networks here (the only VXLAN senders accepted). */
  vxlanPeers?: string[];
  vxlanPort?: number;
  /** The VNIs of this host's overlay networks: VXLAN for other VNIs (another overlay system) is not ours. */
  vxlanVnis?: number[];
  /** The embedded DNS's listening addresses (the networks' gateways) and port. */
  dnsAddresses?: string[];
  dnsPort?: number;
}

const q = (s: string) => JSON.stringify(s);
const isLoopback = (ip: string) => ip.startsWith('127.');

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

/** DNAT rules of one nat hook: `output` (the host's own clients) also gets the loopback publishes. */
function natRules(state: FirewallState, hook: 'prerouting' | 'output'): string[] {
  const rules: string[] = [];
  for (const v of state.vips) {
    if (v.backends.length) rules.push(`ip daddr ${v.vip} ${dnatTarget(v.backends)}`);
  }
  for (const p of state.ports) {
    if (!p.backends.length || (hook === 'prerouting' && p.hostIp && isLoopback(p.hostIp))) continue;
    // output too: the host's own clients, 127.0.0.1 included (as `docker run -p` answers on localhost)
    const where = p.hostIp ? `ip daddr ${p.hostIp}` : 'fib daddr type local';
    rules.push(`${where} ${p.protocol} dport ${p.published} ${dnatTarget(p.backends, p.target)}`);
  }
  return rules;
}

function postroutingRules(nets: FirewallNetwork[]): string[] {
  const post: string[] = [];
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
  }
  return post;
}

function forwardRules(nets: FirewallNetwork[]): string[] {
  const fwd: string[] = [`jump ${USER_CHAIN}`, 'ct state established,related accept'];
  for (const n of nets.filter((x) => x.internal)) {
    fwd.push(`iifname ${q(n.bridge)} oifname != ${q(n.bridge)} drop`);
    fwd.push(`oifname ${q(n.bridge)} iifname != ${q(n.bridge)} drop`);
  }
  fwd.push('ct status dnat accept');
  for (const n of nets) fwd.push(`iifname ${q(n.bridge)} oifname @bridges oifname != ${q(n.bridge)} drop`);
  for (const n of nets.filter((x) => x.openInbound && !x.internal)) fwd.push(`oifname ${q(n.bridge)} accept`);
  // Whatever is left entering a network from outside was not published: default deny.
  if (nets.length) fwd.push('oifname @bridges iifname != @bridges drop');
  return fwd;
}

function inputRules(state: FirewallState): string[] {
  const rules: string[] = [];
  // The VNI sits 96 bits into the UDP header (8 bytes UDP, 4 bytes VXLAN flags), 24 bits long.
  if (state.vxlanPort && state.vxlanVnis?.length)
    rules.push(
      `udp dport ${state.vxlanPort} @th,96,24 { ${[...state.vxlanVnis].sort((a, b) => a - b).join(', ')} } ip saddr != @vxlan_peers drop`,
    );
  if (state.dnsAddresses?.length)
    rules.push(
      `ip daddr @dns_addresses meta l4proto { tcp, udp } th dport ${state.dnsPort ?? 53} iifname != "lo" iifname != @bridges drop`,
    );
  return rules;
}

function chain(name: string, hook: string, rules: string[]): string[] {
  return [`  chain ${name} {`, `    ${hook}`, ...rules.map((r) => `    ${r}`), '  }'];
}

function set(name: string, elements: string[]): string {
  const list = elements.length ? ` elements = { ${elements.join(', ')} };` : '';
  return `  set ${name} { type ${SETS[name]};${list} }`;
}

/** tsstack's part of the table (its sets and chains), without the replace preamble. */
export function renderTable(state: FirewallState, table = NFT_TABLE): string {
  const nets = [...state.networks].sort((a, b) => a.bridge.localeCompare(b.bridge));
  return [
    `table ip ${table} {`,
    set(
      'bridges',
      nets.map((n) => q(n.bridge)),
    ),
    set('vxlan_peers', [...new Set(state.vxlanPeers ?? [])].sort()),
    set('dns_addresses', [...new Set(state.dnsAddresses ?? [])].sort()),
    ...chain('prerouting', 'type nat hook prerouting priority dstnat; policy accept;', natRules(state, 'prerouting')), // prettier-ignore
    ...chain('output', 'type nat hook output priority -100; policy accept;', natRules(state, 'output')),
    ...chain('postrouting', 'type nat hook postrouting priority srcnat; policy accept;', postroutingRules(nets)), // prettier-ignore
    ...chain('localnet', 'type filter hook prerouting priority mangle; policy accept;', ['iifname != "lo" ip daddr 127.0.0.0/8 drop']), // prettier-ignore
    ...chain('forward', 'type filter hook forward priority filter; policy accept;', forwardRules(nets)),
    ...chain('input', 'type filter hook input priority filter; policy accept;', inputRules(state)),
    '}',
  ].join('\n');
}

/** Empties tsstack's chains and sets, keeping the table and the operator's chain (created when missing). */
function stripOwnParts(table: string): string[] {
  const lines = [`add table ip ${table}`, `add chain ip ${table} ${USER_CHAIN}`];
  for (const c of OWN_CHAINS)
    lines.push(`add chain ip ${table} ${c}`, `flush chain ip ${table} ${c}`, `delete chain ip ${table} ${c}`);
  // Sets are emptied, not deleted: an operator's rule may use them.
  for (const [s, type] of Object.entries(SETS))
    lines.push(`add set ip ${table} ${s} { type ${type}; }`, `flush set ip ${table} ${s}`);
  return lines;
}

/** One atomic batch that replaces tsstack's chains and sets, leaving the operator's chain as it is. */
export function renderReplaceBatch(state: FirewallState, table = NFT_TABLE): string {
  return `${stripOwnParts(table).join('\n')}\n${renderTable(state, table)}\n`;
}

/**
 * One batch that removes tsstack's rules: the whole table when the operator's chain holds no rule
 * (`userRules` false), else everything but that chain (and the emptied sets its rules may use).
 */
export function renderDeleteBatch(table = NFT_TABLE, userRules = false): string {
  if (userRules) return `${stripOwnParts(table).join('\n')}\n`;
  return `table ip ${table}\ndelete table ip ${table}\n`;
}
