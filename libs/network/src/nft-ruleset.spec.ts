import { renderDeleteBatch, renderReplaceBatch, renderTable, type FirewallState } from './nft-ruleset';

describe('nft ruleset', () => {
  const state: FirewallState = {
    networks: [
      { id: 'a', bridge: 'tsbra', subnet: '10.1.0.0/24', internal: false },
      { id: 'b', bridge: 'tsbrb', subnet: '10.2.0.0/24', internal: true },
      {
        id: 'o',
        bridge: 'tsbro',
        subnet: '10.3.0.0/24',
        internal: false,
        lbAddress: '10.3.0.250',
        remoteAddresses: ['10.3.0.7'],
      },
    ],
    ports: [
      { protocol: 'tcp' as const, published: 8080, target: 80, backends: ['10.1.0.2'] },
      {
        protocol: 'udp' as const,
        published: 53,
        target: 5353,
        hostIp: '192.0.2.1',
        backends: ['10.1.0.3', '10.1.0.2'],
      },
      { protocol: 'tcp' as const, published: 9000, target: 90, backends: [] },
    ],
    vips: [{ vip: '10.1.0.100', backends: ['10.1.0.3', '10.1.0.2'] }],
    vxlanPort: 4789,
    vxlanPeers: ['192.0.2.12', '192.0.2.11'],
    vxlanVnis: [4097, 4096],
    dnsAddresses: ['10.1.0.1', '10.2.0.1'],
    dnsPort: 53,
  };
  const text = renderTable(state);
  const chainText = (name: string) => text.slice(text.indexOf(`chain ${name} {`), text.indexOf('\n  }', text.indexOf(`chain ${name} {`))); // prettier-ignore

  it('replaces its own chains and sets in one batch, never the operator’s chain', () => {
    const batch = renderReplaceBatch(state);
    const preamble = batch.slice(0, batch.indexOf('table ip tsstack {')).trim().split('\n');
    expect(preamble.slice(0, 5)).toEqual([
      'add table ip tsstack',
      'add chain ip tsstack tsstack-user',
      'add chain ip tsstack prerouting',
      'flush chain ip tsstack prerouting',
      'delete chain ip tsstack prerouting',
    ]);
    expect(preamble).toContain('flush set ip tsstack bridges');
    expect(batch).not.toMatch(/(flush|delete) chain ip tsstack tsstack-user/);
    expect(batch).not.toContain('delete table');
    expect(renderDeleteBatch()).toBe('table ip tsstack\ndelete table ip tsstack\n');
    const keep = renderDeleteBatch('tsstack', true);
    expect(keep).not.toContain('delete table');
    expect(keep).toContain('delete chain ip tsstack forward');
    expect(keep).not.toMatch(/(flush|delete) chain ip tsstack tsstack-user/);
  });

  it('drops new connections from outside into networks unless DNATed, after the operator’s chain', () => {
    const fwd = chainText('forward')
      .split('\n')
      .map((l) => l.trim());
    expect(fwd[2]).toBe('jump tsstack-user');
    expect(fwd[3]).toBe('ct state established,related accept');
    expect(fwd.at(-1)).toBe('oifname @bridges iifname != @bridges drop');
    expect(fwd.indexOf('ct status dnat accept')).toBeLessThan(
      fwd.indexOf('oifname @bridges iifname != @bridges drop'),
    );
    const open = renderTable({ ...state, networks: [{ ...state.networks[0], openInbound: true }] });
    expect(open).toMatch(/oifname "tsbra" accept\n\s+oifname @bridges iifname != @bridges drop/);
    expect(renderTable({ networks: [], ports: [], vips: [] })).not.toContain('iifname != @bridges drop');
  });

  it('publishes loopback host IPs on lo only and drops 127.0.0.0/8 from any other link', () => {
    const lo = renderTable({ ...state, ports: [{ protocol: 'tcp', published: 7000, target: 70, hostIp: '127.0.0.1', backends: ['10.1.0.2'] }] }); // prettier-ignore
    const pre = lo.slice(lo.indexOf('chain prerouting'), lo.indexOf('chain output'));
    const out = lo.slice(lo.indexOf('chain output'), lo.indexOf('chain postrouting'));
    expect(pre).not.toContain('dport 7000');
    expect(out).toContain('ip daddr 127.0.0.1 tcp dport 7000 dnat to 10.1.0.2:70');
    expect(text).toMatch(/chain localnet \{\n\s+type filter hook prerouting priority mangle; policy accept;\n\s+iifname != "lo" ip daddr 127\.0\.0\.0\/8 drop/); // prettier-ignore
  });

  it('takes VXLAN only from the other nodes and DNS only from containers and the host', () => {
    expect(text).toContain('set vxlan_peers { type ipv4_addr; elements = { 192.0.2.11, 192.0.2.12 }; }');
    expect(text).toContain('set dns_addresses { type ipv4_addr; elements = { 10.1.0.1, 10.2.0.1 }; }');
    const input = chainText('input');
    // only tsstack's VNIs: another overlay system's VXLAN on the same port is left alone
    expect(input).toContain('udp dport 4789 @th,96,24 { 4096, 4097 } ip saddr != @vxlan_peers drop');
    expect(input).toContain('ip daddr @dns_addresses meta l4proto { tcp, udp } th dport 53 iifname != "lo" iifname != @bridges drop'); // prettier-ignore
    expect(renderTable({ networks: [], ports: [], vips: [] })).not.toContain('dport 4789');
  });

  it('publishes ports on local addresses (or one host IP), round-robin over backends', () => {
    expect(text).toContain('fib daddr type local tcp dport 8080 dnat to 10.1.0.2:80');
    expect(text).toContain(
      'ip daddr 192.0.2.1 udp dport 53 dnat ip addr . port to numgen inc mod 2 map { 0 : 10.1.0.2 . 5353, 1 : 10.1.0.3 . 5353 }',
    );
    expect(text).not.toContain('dport 9000');
    expect(text).toContain('ip daddr 10.1.0.100 dnat to numgen inc mod 2 map { 0 : 10.1.0.2, 1 : 10.1.0.3 }');
  });

  it('publishes to the host itself, 127.0.0.1 included, masquerading loopback sources onto the bridge', () => {
    const output = text.slice(text.indexOf('chain output'), text.indexOf('chain postrouting'));
    expect(output).toContain('fib daddr type local tcp dport 8080 dnat to 10.1.0.2:80');
    expect(output).not.toContain('127.0.0.0/8');
    expect(text).toContain('oifname "tsbra" ip saddr 127.0.0.0/8 masquerade');
    expect(text).toContain('oifname "tsbro" ip saddr 127.0.0.0/8 masquerade');
  });

  it('masquerades out of non-internal networks, hairpins, SNATs to remote tasks', () => {
    expect(text).toContain('ip saddr 10.1.0.0/24 oifname != "tsbra" masquerade');
    expect(text).not.toContain('ip saddr 10.2.0.0/24 oifname != "tsbrb" masquerade');
    expect(text).toContain('oifname "tsbra" ip saddr 10.1.0.0/24 ct status dnat masquerade');
    expect(text).toContain('oifname "tsbro" ct status dnat ip daddr { 10.3.0.7 } snat to 10.3.0.250');
  });

  it('closes internal networks and isolates networks from each other', () => {
    expect(text).toContain('iifname "tsbrb" oifname != "tsbrb" drop');
    expect(text).toContain('oifname "tsbrb" iifname != "tsbrb" drop');
    expect(text).toContain('iifname "tsbra" oifname @bridges oifname != "tsbra" drop');
    expect(text).toContain('elements = { "tsbra", "tsbrb", "tsbro" }');
    expect(text.indexOf('ct state established,related accept')).toBeLessThan(text.indexOf('"tsbrb" oifname != "tsbrb" drop')); // prettier-ignore
  });

  it('renders an empty state', () => {
    expect(renderTable({ networks: [], ports: [], vips: [] })).toContain('set bridges { type ifname; }');
  });
});
