import { aRecords, DnsNames, type DnsEndpoint } from './dns-names';

const ep = (
  taskId: string,
  service: string,
  address: string,
  more: Partial<DnsEndpoint> = {},
): DnsEndpoint => ({
  taskId,
  taskName: `s_${taskId}`,
  service,
  aliases: [],
  address,
  serving: true,
  ...more,
});

describe('DnsNames', () => {
  const names = new DnsNames();
  names.setNetwork({
    id: 'front',
    vips: { api: '10.0.0.100' },
    endpoints: [
      ep('w1', 'web', '10.0.0.2', { aliases: ['web', 'www'] }),
      ep('w2', 'web', '10.0.0.3'),
      ep('a1', 'api', '10.0.0.4', { aliases: ['api', 'backend'] }),
      ep('c1', 'client', '10.0.0.5'),
      ep('sick', 'web', '10.0.0.6', { serving: false }),
    ],
  });
  names.setNetwork({
    id: 'back',
    vips: {},
    endpoints: [ep('d1', 'db', '10.1.0.2'), ep('a1', 'api', '10.1.0.3')],
  });

  it('answers service names (rotated), tasks.<svc>, aliases and task names', () => {
    expect(names.resolve('10.0.0.5', 'tasks.web')).toMatchObject({
      known: true,
      addresses: ['10.0.0.2', '10.0.0.3'],
    });
    const first = names.resolve('10.0.0.5', 'web.').addresses;
    const second = names.resolve('10.0.0.5', 'WEB').addresses;
    expect([...first].sort()).toEqual(['10.0.0.2', '10.0.0.3']);
    expect(second).not.toEqual(first);
    expect(names.resolve('10.0.0.5', 'www').addresses).toEqual(['10.0.0.2']);
    expect(names.resolve('10.0.0.5', 's_w2').addresses).toEqual(['10.0.0.3']);
    expect(names.resolve('10.0.0.5', 'w2').addresses).toEqual(['10.0.0.3']);
  });

  it('carries the answer as ready-made A records, rotated like the addresses', () => {
    const r = names.resolve('10.0.0.5', 'web');
    expect(r.records).toEqual(aRecords(r.addresses));
    expect(aRecords(['10.0.0.2']).toString('hex')).toBe('c00c00010001000000000004' + '0a000002');
  });

  it('answers the VIP for vip services and their tasks for tasks.<svc>', () => {
    expect(names.resolve('10.0.0.5', 'api').addresses).toEqual(['10.0.0.100']);
    expect(names.resolve('10.0.0.5', 'tasks.api').addresses).toEqual(['10.0.0.4']);
  });

  it('never mixes task addresses into a vip service name, even when it is listed as an alias', () => {
    // the planner passes the service name among the aliases (as Docker does)
    expect(names.resolve('10.0.0.5', 'api').addresses).toEqual(['10.0.0.100']);
    expect(names.resolve('10.0.0.5', 'backend').addresses).toEqual(['10.0.0.100']);
    // dnsrr: the service name (alias or not) gives the serving tasks
    expect(names.resolve('10.0.0.5', 'web').addresses.sort()).toEqual(['10.0.0.2', '10.0.0.3']);
  });

  it('scopes answers to the networks of the asking container', () => {
    expect(names.resolve('10.0.0.5', 'db')).toEqual({ known: false, addresses: [] });
    expect(names.resolve('10.1.0.2', 'web')).toEqual({ known: false, addresses: [] });
    // a1 is on both networks, so from either of its addresses it sees both
    expect(names.resolve('10.0.0.4', 'db').addresses).toEqual(['10.1.0.2']);
    expect(names.resolve('10.1.0.3', 'web').known).toBe(true);
    expect(names.resolve('192.0.2.9', 'web')).toEqual({ known: false, addresses: [] });
  });

  it('leaves out endpoints that are not serving but still knows the name', () => {
    expect(names.resolve('10.0.0.5', 's_sick')).toMatchObject({ known: true, addresses: [] });
    names.removeNetwork('back');
    expect(names.resolve('10.1.0.2', 'db').known).toBe(false);
  });

  it('mirrors its tables into a subscriber', () => {
    const seen: { nets: Record<string, string[]>; clients: Array<[string, string[]]> } = {
      nets: {},
      clients: [],
    };
    const stop = names.subscribe({
      setNetwork: (id, entries) => (seen.nets[id] = entries.map(([n]) => n).sort()),
      removeNetwork: (id) => delete seen.nets[id],
      setClients: (clients) => (seen.clients = clients),
    });
    expect(seen.nets.front).toEqual(expect.arrayContaining(['api', 'tasks.web', 'web', 'www', 's_w1', 'w1']));
    expect(Object.fromEntries(seen.clients)['10.0.0.5']).toEqual(['front']);
    names.setNetwork({ id: 'extra', vips: {}, endpoints: [ep('x1', 'x', '10.2.0.2')] });
    expect(seen.nets.extra).toEqual(['s_x1', 'tasks.x', 'x', 'x1']);
    stop();
    names.removeNetwork('extra');
    expect(seen.nets.extra).toBeDefined();
  });
});
