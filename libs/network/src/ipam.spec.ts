import fc from 'fast-check';
import { NetworkConfigError } from './errors';
import { Ipam } from './ipam';
import { cidrContains, ipToInt, parseCidr } from './ipv4';

const HOST = ['10.0.0.0/8', '192.168.1.0/24', '172.20.0.0/24', '192.168.1.10', 'default'];

describe('Ipam', () => {
  it('carves a subnet that avoids host routes and other networks', () => {
    const ipam = new Ipam();
    const a = ipam.createNetwork({ id: 'a', driver: 'bridge', ipam: [] }, HOST);
    const b = ipam.createNetwork({ id: 'b', driver: 'bridge', ipam: [] }, HOST);
    expect(a.subnet).toBe('172.20.1.0/24'); // 172.20.0.0/24 is a host route
    expect(b.subnet).toBe('172.20.2.0/24');
    expect(a.gateway).toBe('172.20.1.1');
    const o = ipam.createNetwork({ id: 'o', driver: 'overlay', ipam: [] }, []);
    expect(o.subnet).toBe('10.240.0.0/24');
  });

  it('does not count its own networks routes as host routes (restart)', () => {
    const ipam = new Ipam();
    const a = ipam.createNetwork({ id: 'a', driver: 'bridge', ipam: [{ subnet: '172.21.5.0/24' }] }, []);
    const again = new Ipam(ipam.toJSON());
    expect(() =>
      again.createNetwork({ id: 'a', driver: 'bridge', ipam: [{ subnet: '172.21.5.0/24' }] }, [a.subnet]),
    ).not.toThrow();
  });

  it.each([
    [{ subnet: '10.1.0.0/16' }, /collides with the host route 10.0.0.0\/8/],
    [{ subnet: '172.30.0.0/24', gateway: '172.31.0.1' }, /gateway 172.31.0.1 is outside subnet/],
    [{ subnet: '172.30.0.0/24', gateway: '172.30.0.255' }, /network or broadcast address/],
    [{ subnet: '172.30.0.1/24' }, /zero host bits/],
    [{ subnet: '172.30.0.0/24', ipRange: '172.31.0.0/28' }, /ip_range 172.31.0.0\/28 is outside subnet/],
    [{ gateway: '172.30.0.1' }, /need an explicit subnet/],
  ])('refuses %j', (cfg, message) => {
    const ipam = new Ipam();
    expect(() => ipam.createNetwork({ id: 'x', driver: 'bridge', ipam: [cfg] }, HOST)).toThrow(message);
    expect(ipam.networks()).toEqual([]);
  });

  it('reports every problem at once, unknown driver and overlap included', () => {
    const ipam = new Ipam();
    ipam.createNetwork({ id: 'a', driver: 'bridge', ipam: [{ subnet: '172.25.0.0/16' }] }, []);
    try {
      ipam.createNetwork(
        { id: 'b', driver: 'macvlan', ipam: [{ subnet: '172.25.3.0/24', gateway: '1.2.3.4' }] },
        [],
      );
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(NetworkConfigError);
      expect((e as NetworkConfigError).problems).toEqual([
        'network b: unknown driver "macvlan" (use bridge or overlay)',
        'network b: subnet 172.25.3.0/24 overlaps network a (172.25.0.0/16)',
        'network b: gateway 1.2.3.4 is outside subnet 172.25.3.0/24',
      ]);
    }
  });

  it('allocates from ip_range, honours ipv4_address, keeps an owner address, releases', () => {
    const ipam = new Ipam();
    ipam.createNetwork(
      { id: 'n', driver: 'bridge', ipam: [{ subnet: '172.26.0.0/24', ipRange: '172.26.0.128/30' }] },
      [],
    );
    expect(ipam.allocate('n', 't1')).toBe('172.26.0.128');
    expect(ipam.allocate('n', 't1')).toBe('172.26.0.128');
    expect(ipam.allocate('n', 't2', '172.26.0.9')).toBe('172.26.0.9');
    expect(() => ipam.allocate('n', 't3', '172.26.0.9')).toThrow(/already used by t2/);
    expect(() => ipam.allocate('n', 't3', '172.26.0.1')).toThrow(/is the gateway/);
    expect(() => ipam.allocate('n', 't3', '172.27.0.1')).toThrow(/outside network n/);
    expect(ipam.allocate('n', 't3')).toBe('172.26.0.129');
    expect(ipam.allocate('n', 't4')).toBe('172.26.0.130');
    expect(ipam.allocate('n', 't5')).toBe('172.26.0.131');
    expect(() => ipam.allocate('n', 't6')).toThrow(/no free address/);
    ipam.release('t3');
    expect(ipam.allocate('n', 't6')).toBe('172.26.0.129');
    ipam.removeNetwork('n');
    expect(ipam.toJSON().networks).toEqual({});
  });

  it('never hands out one address twice, nor the gateway, nor outside the subnet (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 40 })), { maxLength: 200 }),
        (ops) => {
          const ipam = new Ipam();
          const net = ipam.createNetwork(
            { id: 'p', driver: 'bridge', ipam: [{ subnet: '172.28.0.0/26' }] },
            [],
          );
          const subnet = parseCidr(net.subnet)!;
          for (const [alloc, owner] of ops) {
            if (alloc) {
              try {
                ipam.allocate('p', `t${owner}`);
              } catch {
                // full
              }
            } else ipam.release(`t${owner}`);
            const held = Object.keys(ipam.network('p')!.allocations);
            expect(new Set(held).size).toBe(held.length);
            for (const ip of held) {
              expect(ip).not.toBe(net.gateway);
              expect(cidrContains(subnet, ipToInt(ip))).toBe(true);
              expect(ip).not.toBe('172.28.0.0');
              expect(ip).not.toBe('172.28.0.63');
            }
          }
        },
      ),
    );
  });
});

describe('Ipam.adoptNetwork', () => {
  it('records a subnet chosen elsewhere, refusing overlaps', () => {
    const ipam = new Ipam();
    ipam.adoptNetwork('o', 'overlay', '10.250.1.0/24', '10.250.1.1', '10.250.1.64/26');
    expect(ipam.allocate('o', 't1')).toBe('10.250.1.64');
    expect(() => ipam.adoptNetwork('p', 'overlay', '10.250.0.0/16', '10.250.0.1')).toThrow(
      /overlaps network o/,
    );
  });
});
