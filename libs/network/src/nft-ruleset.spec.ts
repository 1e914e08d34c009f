import { renderDeleteBatch, renderReplaceBatch, renderTable } from './nft-ruleset';

describe('nft ruleset', () => {
  const state = {
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
  };
  const text = renderTable(state);

  it('replaces the table atomically in one batch', () => {
    expect(renderReplaceBatch(state).split('\n').slice(0, 3)).toEqual([
      'table ip tsstack',
      'delete table ip tsstack',
      'table ip tsstack {',
    ]);
    expect(renderDeleteBatch()).toBe('table ip tsstack\ndelete table ip tsstack\n');
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
    expect(text.indexOf('ct state established,related accept')).toBeLessThan(text.indexOf('drop'));
  });

  it('renders an empty state', () => {
    expect(renderTable({ networks: [], ports: [], vips: [] })).toContain('set bridges { type ifname; }');
  });
});
