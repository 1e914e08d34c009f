// The default-deny network policy, seen from a second "LAN host" that routes to the container subnets through
// the simulated host (a namespace): an unpublished port is unreachable, a published one reachable, a
// 127.0.0.1 publish unreachable (also when the LAN host routes 127.0.0.1 to us, CVE-2020-8558), a rule in the
// operator's tsstack-user chain blocks a published port and survives tsstack's own rule changes, Docker's
// nat-unprotected option opens a network, the embedded DNS answers only containers and VXLAN is taken only
// from known nodes. Root; every namespace, address and process is the test's own.
import { execFileSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { plainNetwork, type NetworkAssignment } from '@tsstack/model';
import { NetworkManager, netlink } from '@tsstack/network';
import { closeManager, execIn, hostWithOutside, httpdIn, nslookupIn, subnetPicker, udpSocketIn, waitFor, wgetIn } from './net-helpers'; // prettier-ignore

describe('network policy against a LAN host', () => {
  let host: string, lan: string;
  let up: { host: string; outside: string };
  const dirs = { state: '', netns: '' };
  let m: NetworkManager;
  const sub = subnetPicker();
  const ns: Record<string, string> = {};
  const addr: Record<string, string> = {};
  const nft = (...args: string[]) => execFileSync('nsenter', [`--net=${host}`, 'nft', ...args], { encoding: 'utf8' }); // prettier-ignore
  const lanRoute = (...args: string[]) => execFileSync('ip', ['-n', path.basename(lan), 'route', ...args]);
  /** A task namespace on `networkId`, named after the task. */
  const attach = async (task: string, networkId: string) => {
    ns[task] = await m.createTaskNetns(task);
    const r = await m.attachTask({ taskId: task, netnsPath: ns[task], networkId, service: task });
    addr[task] = r.address;
    return r;
  };

  beforeAll(async () => {
    ({ host, outside: lan, up } = hostWithOutside('tsph', 'tspl', sub()));
    dirs.state = fs.mkdtempSync(path.join(os.tmpdir(), 'tsn-policy-'));
    dirs.netns = fs.mkdtempSync('/run/tsn-policy-netns-');
    m = await NetworkManager.open({ stateDir: dirs.state, netnsDir: dirs.netns, hostNetns: host, upstreams: [up.outside], nodeId: 'n1', nodeAddress: up.host }); // prettier-ignore
    const front = sub();
    await m.createNetwork({ id: 'p_front', driver: 'bridge', ipam: [{ subnet: front }] });
    await attach('web', 'p_front');
    for (const port of [80, 81, 82]) httpdIn(ns.web, `web:${port}`, port);
    // The LAN host routes the task's subnet through the host, as a router on a real LAN would.
    lanRoute('replace', front, 'via', up.host);
    await m.publishPorts('web', [
      { protocol: 'tcp', published: 8080, target: 80 },
      { protocol: 'tcp', published: 8082, target: 82, hostIp: '127.0.0.1' },
      { protocol: 'udp', published: 8084, target: 84, hostIp: '127.0.0.1' },
      { protocol: 'udp', published: 8085, target: 84 },
    ]);
    await waitFor('httpd', async () => (await wgetIn(host, `http://${addr.web}:81/`)) === 'web:81');
  });

  afterAll(() => closeManager(m, dirs.netns || undefined, dirs.state || undefined));

  it('reaches a published port only, never an unpublished one or a task address directly', async () => {
    expect(await wgetIn(lan, `http://${up.host}:8080/`)).toBe('web:80');
    expect(await wgetIn(lan, `http://${addr.web}:81/`)).toBeUndefined();
    expect(await wgetIn(lan, `http://${addr.web}:80/`)).toBeUndefined();
    // the host itself still reaches its containers
    expect(await wgetIn(host, `http://${addr.web}:81/`)).toBe('web:81');
  });

  it('answers a 127.0.0.1 publish on the host’s lo only, also when the LAN routes 127.0.0.1 to it', async () => {
    expect(await wgetIn(host, 'http://127.0.0.1:8082/')).toBe('web:82');
    expect(await wgetIn(host, 'http://127.0.0.1:8080/')).toBe('web:80');
    expect(await wgetIn(lan, `http://${up.host}:8082/`)).toBeUndefined();
    // The CVE-2020-8558 move: the LAN host sends packets for 127.0.0.1 to our host. UDP shows what reaches the
    // task without needing a reply (the LAN's kernel would drop answers from 127.0.0.1 as martians).
    const task = await udpSocketIn(ns.web, addr.web, 84);
    const got: string[] = [];
    task.on('message', (msg) => got.push(msg.toString()));
    const sendFrom = async (where: string, source: string, text: string, port = 8084, to = '127.0.0.1') => {
      const s = dgram.createSocket('udp4');
      const fd = await netlink.bindSocket(where, 'udp', source, 0);
      await new Promise<void>((r) => s.bind({ fd }, r));
      await new Promise<void>((r, j) => s.send(text, port, to, (e) => (e ? j(e) : r())));
      s.close();
    };
    lanRoute('del', 'local', '127.0.0.0/8', 'dev', 'lo', 'table', 'local');
    lanRoute('del', 'local', '127.0.0.1', 'dev', 'lo', 'table', 'local');
    lanRoute('add', '127.0.0.1/32', 'via', up.host);
    try {
      await sendFrom(host, '127.0.0.1', 'from the host');
      await waitFor('the host’s datagram', async () => got.includes('from the host'));
      // 8085 is published on every address: through the host's address it arrives, through 127.0.0.1 not.
      await sendFrom(lan, up.outside, 'to the host address', 8085, up.host);
      await waitFor('the published datagram', async () => got.includes('to the host address'));
      for (let i = 0; i < 3; i++) await sendFrom(lan, up.outside, 'to a loopback publish');
      for (let i = 0; i < 3; i++) await sendFrom(lan, up.outside, 'to loopback', 8085);
      await new Promise((r) => setTimeout(r, 300));
      expect(got).toEqual(['from the host', 'to the host address']);
    } finally {
      task.close();
      lanRoute('del', '127.0.0.1/32', 'via', up.host);
      lanRoute('add', 'local', '127.0.0.0/8', 'dev', 'lo', 'table', 'local');
    }
  });

  it('a rule in tsstack-user blocks a published port and outlives tsstack’s rule changes', async () => {
    nft('add', 'rule', 'ip', 'tsstack', 'tsstack-user', 'ip', 'saddr', up.outside, 'meta', 'l4proto', 'tcp', 'ct', 'original', 'proto-dst', '8080', 'drop'); // prettier-ignore
    try {
      expect(await wgetIn(lan, `http://${up.host}:8080/`)).toBeUndefined();
      expect(await wgetIn(host, `http://${up.host}:8080/`)).toBe('web:80'); // forwarded traffic only
      // tsstack rewrites its chains (a new port): the operator's rule stays and still blocks.
      await m.publishPorts('web', [
        { protocol: 'tcp', published: 8080, target: 80 },
        { protocol: 'tcp', published: 8082, target: 82, hostIp: '127.0.0.1' },
        { protocol: 'udp', published: 8084, target: 84, hostIp: '127.0.0.1' },
        { protocol: 'udp', published: 8085, target: 84 },
        { protocol: 'tcp', published: 8083, target: 82 },
      ]);
      expect(await wgetIn(lan, `http://${up.host}:8083/`)).toBe('web:82');
      expect(await wgetIn(lan, `http://${up.host}:8080/`)).toBeUndefined();
      expect(nft('list', 'chain', 'ip', 'tsstack', 'tsstack-user')).toContain(
        'ct original proto-dst 8080 drop',
      );
    } finally {
      nft('flush', 'chain', 'ip', 'tsstack', 'tsstack-user');
    }
    expect(await wgetIn(lan, `http://${up.host}:8080/`)).toBe('web:80');
  });

  it('a network with Docker’s nat-unprotected option lets the LAN reach every port', async () => {
    const subnet = sub();
    const a: NetworkAssignment = {
      id: 'p_open',
      stack: 'p',
      spec: { ...plainNetwork('open', 'bridge'), driverOpts: { 'com.docker.network.bridge.gateway_mode_ipv4': 'nat-unprotected' } }, // prettier-ignore
      subnet,
      gateway: subnet.replace(/0\/24$/, '1'),
      vips: {},
      endpoints: [],
    };
    await m.applyAssignment(a);
    await attach('open', 'p_open');
    httpdIn(ns.open, 'open:81', 81);
    lanRoute('replace', subnet, 'via', up.host);
    await waitFor('open httpd', async () => (await wgetIn(lan, `http://${addr.open}:81/`)) === 'open:81');
    // the other network keeps its default
    expect(await wgetIn(lan, `http://${addr.web}:81/`)).toBeUndefined();
  });

  it('the embedded DNS answers containers and the host, not the LAN', async () => {
    const gateway = (await attach('dnsq', 'p_front')).dnsServer;
    expect(await nslookupIn(ns.dnsq, 'web', gateway)).toEqual([addr.web]);
    // A TCP connection to the DNS port shows the packet filter alone (a UDP question from a stranger would
    // go unanswered anyway: no container asks from there).
    const probe = `require('net').connect(53, '${gateway}').on('connect', () => process.exit(0)).on('error', () => process.exit(1)); setTimeout(() => process.exit(1), 2000)`; // prettier-ignore
    const connects = (where: string) =>
      execIn(where, [process.execPath, '-e', probe], 5000).then(() => true, () => false); // prettier-ignore
    expect(await connects(ns.dnsq)).toBe(true);
    expect(await connects(host)).toBe(true);
    expect(await connects(lan)).toBe(false);
  });

  it('VXLAN is taken from the other nodes only', async () => {
    const subnet = sub();
    const peer = up.outside;
    const stranger = up.outside.replace(/\.2$/, '.3');
    execFileSync('ip', ['-n', path.basename(lan), 'addr', 'add', `${stranger}/24`, 'dev', 'up1']);
    await m.applyAssignment({
      id: 'p_over',
      stack: 'p',
      spec: plainNetwork('over', 'overlay'),
      subnet,
      gateway: subnet.replace(/0\/24$/, '1'),
      vni: 4242,
      vips: {},
      endpoints: [],
      nodeEndpoints: [
        { nodeId: 'n1', nodeAddress: up.host, address: subnet.replace(/0\/24$/, '250') },
        { nodeId: 'n2', nodeAddress: peer, address: subnet.replace(/0\/24$/, '251') },
      ],
    });
    const vxlan = m.networks().find((n) => n.id === 'p_over')!.vxlan!;
    const received = () => {
      const [link] = JSON.parse(execFileSync('ip', ['-n', path.basename(host), '-s', '-j', 'link', 'show', vxlan], { encoding: 'utf8' })) as Array<{ stats64: { rx: { packets: number } } }>; // prettier-ignore
      return link.stats64.rx.packets;
    };
    // One VXLAN frame (VNI 4242) carrying a broadcast Ethernet frame, sent from `from` on the LAN host.
    const frame = Buffer.concat([Buffer.from([0x08, 0, 0, 0, 0, 0x10, 0x92, 0]), Buffer.alloc(6, 0xff), Buffer.from('020000000001', 'hex'), Buffer.from([0x88, 0xb5]), Buffer.alloc(46)]); // prettier-ignore
    const send = async (from: string) => {
      const fd = await netlink.bindSocket(lan, 'udp', from, 0);
      const sock = dgram.createSocket('udp4');
      await new Promise<void>((r) => sock.bind({ fd }, r));
      await new Promise<void>((r, j) => sock.send(frame, 4789, up.host, (e) => (e ? j(e) : r())));
      sock.close();
    };
    const before = received();
    await send(stranger);
    await new Promise((r) => setTimeout(r, 300));
    expect(received()).toBe(before);
    await send(peer);
    await waitFor('the peer’s frame', async () => received() > before);
  });
});
