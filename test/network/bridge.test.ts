// Bridge networks on one simulated host (a namespace): reachability by name, isolation, internal networks,
// NAT out, published host ports with the client's address kept, hairpin, VIPs, embedded DNS (scoping,
// tasks.<svc>, aliases, forwarding), a task leaving DNS/VIP, and a clean removal listed resource by resource.
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as dnsPacket from 'dns-packet';
import { NetworkConfigError, NetworkInUseError, NetworkManager, netlink } from '@tsstack/network';
import {
  execWithResolv,
  hostWithOutside,
  httpdIn,
  killAll,
  linkNames,
  nslookupIn,
  closeManager,
  spawnIn,
  subnetPicker,
  udpSocketIn,
  waitFor,
  wgetIn,
} from './net-helpers';

describe('bridge networks on one host', () => {
  let host: string;
  let outside: string;
  let up: { host: string; outside: string };
  let stateDir: string;
  let netnsDir: string;
  let m: NetworkManager;
  let upstream: dgram.Socket | undefined;
  const sub = subnetPicker();
  const ns: Record<string, string> = {};
  const addr: Record<string, string> = {};
  const resolv: Record<string, string> = {};

  beforeAll(async () => {
    ({ host, outside, up } = hostWithOutside('tsnh', 'tsno', sub()));
    // A fake upstream resolver outside: answers every question with 203.0.113.7.
    const fd = await netlink.bindSocket(outside, 'udp', up.outside, 53);
    upstream = dgram.createSocket('udp4');
    upstream.on('message', (msg, rinfo) => {
      const q = dnsPacket.decode(msg);
      const reply = dnsPacket.encode({
        type: 'response',
        id: q.id,
        flags: dnsPacket.RECURSION_AVAILABLE,
        questions: q.questions,
        answers: [{ type: 'A', name: q.questions![0].name, ttl: 30, data: '203.0.113.7' }],
      });
      upstream!.send(reply, rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => upstream!.bind({ fd }, r));
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsn-state-'));
    netnsDir = fs.mkdtempSync('/run/tsn-netns-');
    m = await NetworkManager.open({ stateDir, netnsDir, hostNetns: host, upstreams: [up.outside] });
  });

  afterAll(async () => {
    upstream?.close();
    await closeManager(m, netnsDir, stateDir);
  });

  it('rejects bad network config before creating anything', async () => {
    const s = sub();
    const before = linkNames(host);
    const bad = [
      { id: 'x_overlap', driver: 'bridge', ipam: [{ subnet: up.host.replace(/\.1$/, '.0/24') }] },
      { id: 'x_gw', driver: 'bridge', ipam: [{ subnet: s, gateway: '192.0.2.1' }] },
      { id: 'x_drv', driver: 'macvlan', ipam: [] },
    ];
    for (const req of bad) await expect(m.createNetwork(req)).rejects.toBeInstanceOf(NetworkConfigError);
    await expect(m.createNetwork(bad[0])).rejects.toThrow(/collides with the host route/);
    await expect(m.createNetwork(bad[1])).rejects.toThrow(/outside subnet/);
    await expect(m.createNetwork(bad[2])).rejects.toThrow(/unknown driver "macvlan"/);
    await m.createNetwork({ id: 'x_first', driver: 'bridge', ipam: [{ subnet: s }] });
    await expect(
      m.createNetwork({ id: 'x_second', driver: 'bridge', ipam: [{ subnet: s }] }),
    ).rejects.toThrow(/overlaps network x_first/);
    await m.removeNetwork('x_first');
    expect(linkNames(host)).toEqual(before);
  });

  it('two containers on a bridge reach each other by name, through the resolv.conf they are given', async () => {
    await m.createNetwork({ id: 's_front', driver: 'bridge', ipam: [{ subnet: sub() }] });
    await m.createNetwork({ id: 's_back', driver: 'bridge', ipam: [{ subnet: sub() }] });
    await m.createNetwork({ id: 's_int', driver: 'bridge', internal: true, ipam: [{ subnet: sub() }] });
    const attach = async (task: string, networkId: string, service: string, aliases: string[] = []) => {
      ns[task] ??= await m.createTaskNetns(task);
      const r = await m.attachTask({
        taskId: task,
        netnsPath: ns[task],
        networkId,
        service,
        aliases: [service, ...aliases], // as the planner passes them: the service name first
        taskName: `s_${task}`,
      });
      addr[task] ??= r.address;
      resolv[task] ??= r.resolvConfPath;
      return r;
    };
    const r1 = await attach('web1', 's_front', 'web', ['www']);
    await attach('web2', 's_front', 'web');
    await attach('cli', 's_front', 'client');
    await attach('other', 's_back', 'other');
    await attach('locked', 's_int', 'locked');
    expect(r1.interface).toBe('eth0');
    expect(fs.readFileSync(r1.resolvConfPath, 'utf8')).toContain(`nameserver ${r1.gateway}`);
    httpdIn(ns.web1, 'web1');
    httpdIn(ns.web2, 'web2');
    httpdIn(ns.other, 'other');
    await waitFor('httpd web1', async () => (await wgetIn(ns.cli, `http://${addr.web1}/`)) === 'web1');
    const byName = (await execWithResolv(ns.cli, resolv.cli, 'busybox wget -q -O - http://s_web1/')).trim();
    expect(byName).toBe('web1');
    expect((await execWithResolv(ns.cli, resolv.cli, 'busybox wget -q -O - http://www/')).trim()).toBe(
      'web1',
    );
  });

  it('answers tasks.<svc>, service names and aliases only to containers on the same network', async () => {
    const gw = fs.readFileSync(resolv.cli, 'utf8').match(/nameserver (\S+)/)![1];
    expect(await nslookupIn(ns.cli, 'tasks.web', gw)).toEqual([addr.web1, addr.web2].sort());
    expect(await nslookupIn(ns.cli, 'web', gw)).toEqual([addr.web1, addr.web2].sort());
    expect(await nslookupIn(ns.cli, 'www', gw)).toEqual([addr.web1]);
    const otherGw = fs.readFileSync(resolv.other, 'utf8').match(/nameserver (\S+)/)![1];
    // not ours for this client: forwarded to the upstream, which answers 203.0.113.7 for everything
    expect(await nslookupIn(ns.other, 'web', otherGw)).toEqual(['203.0.113.7']);
    expect(await nslookupIn(ns.cli, 'example.org', gw)).toEqual(['203.0.113.7']);
    // a task on two networks sees the names of both
    ns.both = await m.createTaskNetns('both');
    const rb = await m.attachTask({
      taskId: 'both',
      netnsPath: ns.both,
      networkId: 's_front',
      service: 'both',
    });
    await m.attachTask({ taskId: 'both', netnsPath: ns.both, networkId: 's_back', service: 'both' });
    expect(await nslookupIn(ns.both, 'other', rb.dnsServer)).toEqual([addr.other]);
    expect(await nslookupIn(ns.both, 'tasks.web', rb.dnsServer)).toEqual([addr.web1, addr.web2].sort());
    await m.removeTaskNetns('both');
    delete ns.both;
  });

  it('answers over TCP too', async () => {
    const gw = fs.readFileSync(resolv.cli, 'utf8').match(/nameserver (\S+)/)![1];
    const fd = await netlink.bindSocket(ns.cli, 'tcp', addr.cli, 0);
    const sock = new net.Socket({ fd });
    const query = dnsPacket.streamEncode({
      type: 'query',
      id: 7,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type: 'A', name: 'tasks.web' }],
    });
    const reply = await new Promise<Buffer>((resolve, reject) => {
      let buf = Buffer.alloc(0);
      sock.on('error', reject);
      sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) resolve(buf);
      });
      sock.connect(53, gw, () => sock.write(query));
    });
    sock.destroy();
    const answers = dnsPacket.streamDecode(reply).answers ?? [];
    expect(answers.map((a) => (a as { data?: unknown }).data).sort()).toEqual([addr.web1, addr.web2].sort());
  });

  it('isolates networks and keeps internal networks inside', async () => {
    expect(await wgetIn(ns.other, `http://${addr.web1}/`)).toBeUndefined();
    expect(await wgetIn(ns.cli, `http://${addr.other}/`)).toBeUndefined();
    httpdIn(outside, 'outside');
    await waitFor('outside httpd', async () => (await wgetIn(host, `http://${up.outside}/`)) === 'outside');
    // NAT out: the outside namespace has no route back to the container subnets, so only masquerade works
    expect(await wgetIn(ns.cli, `http://${up.outside}/`)).toBe('outside');
    expect(await wgetIn(ns.cli, `http://${up.outside}/cgi-bin/ip`)).toBe(up.host);
    expect(await wgetIn(ns.locked, `http://${up.outside}/`)).toBeUndefined();
    const routes = await netlink.routes(ns.locked);
    expect(routes.map((r) => r.dst)).not.toContain('default');
  });

  it('publishes a host port that keeps the client address, with hairpin', async () => {
    await m.publishPorts('web1', [{ protocol: 'tcp', published: 8080, target: 80 }]);
    expect(await wgetIn(outside, `http://${up.host}:8080/`)).toBe('web1');
    expect(await wgetIn(outside, `http://${up.host}:8080/cgi-bin/ip`)).toBe(up.outside);
    // hairpin: the container reaches its own published port through the host address
    expect(await wgetIn(ns.cli, `http://${up.host}:8080/`)).toBe('web1');
    expect(await wgetIn(ns.web1, `http://${up.host}:8080/`)).toBe('web1');
    // the host itself on 127.0.0.1, as `curl http://127.0.0.1:8080/` after `docker run -p 8080:80`
    expect(await wgetIn(host, 'http://127.0.0.1:8080/')).toBe('web1');
    // an ephemeral host port (Compose `ports: ["80"]`), and a port another task holds is refused
    const [eph] = await m.publishPorts('web2', [{ protocol: 'tcp', target: 80 }]);
    expect(eph.published).toBeGreaterThanOrEqual(32768);
    expect(await wgetIn(outside, `http://${up.host}:${eph.published}/`)).toBe('web2');
    await expect(m.publishPorts('web2', [{ protocol: 'tcp', published: 8080, target: 80 }])).rejects.toThrow(
      /already published by task web1/,
    );
    await m.publishPorts('web2', []);
    // bound to one host address: another address of the host does not answer
    await m.publishPorts('web1', [
      { protocol: 'tcp', published: 8080, target: 80 },
      { protocol: 'tcp', published: 8082, target: 80, hostIp: up.host },
    ]);
    const gw = fs.readFileSync(resolv.cli, 'utf8').match(/nameserver (\S+)/)![1];
    expect(await wgetIn(ns.cli, `http://${up.host}:8082/`)).toBe('web1');
    expect(await wgetIn(ns.cli, `http://${gw}:8082/`)).toBeUndefined();
    expect(await wgetIn(ns.cli, `http://${gw}:8080/`)).toBe('web1');
  });

  it('spreads VIP connections over serving replicas; an unserving task leaves DNS and the VIP', async () => {
    const vip = await m.ensureServiceVip('s_front', 'web');
    const gw = fs.readFileSync(resolv.cli, 'utf8').match(/nameserver (\S+)/)![1];
    expect(await nslookupIn(ns.cli, 'web', gw)).toEqual([vip]);
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add((await wgetIn(ns.cli, `http://${vip}/`)) ?? 'fail');
    expect([...seen].sort()).toEqual(['web1', 'web2']);
    await m.setServing('web2', false);
    expect(await nslookupIn(ns.cli, 'tasks.web', gw)).toEqual([addr.web1]);
    for (let i = 0; i < 4; i++) expect(await wgetIn(ns.cli, `http://${vip}/`)).toBe('web1');
    await m.setServing('web2', true);
    expect(await nslookupIn(ns.cli, 'tasks.web', gw)).toEqual([addr.web1, addr.web2].sort());
  });

  it('an attach that defers its rules returns first; rulesApplied() then puts the task behind the VIP', async () => {
    const vip = await m.ensureServiceVip('s_front', 'web');
    ns.web3 = await m.createTaskNetns('web3');
    const r = await m.attachTask({
      taskId: 'web3',
      netnsPath: ns.web3,
      networkId: 's_front',
      service: 'web',
      aliases: ['web'],
      taskName: 's_web3',
      deferRules: true,
    });
    try {
      await m.rulesApplied();
      const table = (await m.inventory()).nftTable;
      expect(table).toContain(vip);
      expect(table).toContain(r.address);
    } finally {
      await m.removeTaskNetns('web3');
    }
    expect((await m.inventory()).nftTable).not.toContain(r.address);
  });

  it('keeps an existing VIP connection while its task drains out of the VIP', async () => {
    const vip = await m.ensureServiceVip('s_front', 'web');
    const out: Record<string, string> = {};
    for (const t of ['web1', 'web2']) {
      out[t] = path.join(stateDir, `drain-${t}`);
      // nc quits at the end of its stdin, so it reads from a sleep that outlives the test
      spawnIn(ns[t], ['sh', '-c', `sleep 30 | busybox nc -l -p 7000 > ${out[t]}`]);
    }
    await new Promise((r) => setTimeout(r, 300));
    spawnIn(ns.cli, ['sh', '-c', `(echo first; sleep 2; echo second; sleep 30) | busybox nc ${vip} 7000`]);
    const read = (t: string) => (fs.existsSync(out[t]) ? fs.readFileSync(out[t], 'utf8') : '');
    await waitFor('the first line', async () => ['web1', 'web2'].some((t) => read(t).includes('first')));
    const backend = ['web1', 'web2'].find((t) => read(t).includes('first'))!;
    await m.setServing(backend, false);
    try {
      await waitFor(
        'the second line on the drained task',
        async () => read(backend).includes('second'),
        5000,
      );
    } finally {
      await m.setServing(backend, true);
    }
  });

  it('publishes UDP ports', async () => {
    const server = await udpSocketIn(ns.web2, '0.0.0.0', 5353);
    const client = await udpSocketIn(outside, up.outside, 0);
    try {
      server.on('message', (_msg, rinfo) =>
        server.send(Buffer.from(`pong ${rinfo.address}`), rinfo.port, rinfo.address),
      );
      await m.publishPorts('web2', [{ protocol: 'udp', published: 5353, target: 5353 }]);
      const reply = new Promise<string>((resolve) =>
        client.once('message', (msg) => resolve(msg.toString())),
      );
      client.send('ping', 5353, up.host);
      expect(await reply).toBe(`pong ${up.outside}`);
    } finally {
      server.close();
      client.close();
      await m.publishPorts('web2', []);
    }
  });

  it('survives an agent restart: the state is re-adopted and DNS answers again', async () => {
    await m.close();
    m = await NetworkManager.open({ stateDir, netnsDir, hostNetns: host, upstreams: [up.outside] });
    const gw = fs.readFileSync(resolv.cli, 'utf8').match(/nameserver (\S+)/)![1];
    expect(await nslookupIn(ns.cli, 'tasks.web', gw)).toEqual([addr.web1, addr.web2].sort());
    expect(await wgetIn(outside, `http://${up.host}:8080/`)).toBe('web1');
  });

  it('leaves nothing behind after every task and network is removed', async () => {
    killAll();
    await expect(m.removeNetwork('s_front')).rejects.toBeInstanceOf(NetworkInUseError);
    for (const t of Object.keys(ns)) await m.removeTaskNetns(t);
    for (const id of ['s_front', 's_back', 's_int']) await m.removeNetwork(id);
    const inv = await m.inventory();
    expect(inv).toEqual({
      netns: [],
      links: [],
      nftTable: '',
      ipamNetworks: [],
      allocations: 0,
      dnsAddresses: [],
      resolvConfs: [],
    });
    expect(linkNames(host)).toEqual(['lo', 'up0']);
  });
});
