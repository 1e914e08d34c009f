// The netlink binding (native/src/net through libmnl) against the real kernel, inside namespaces made by the
// test: namespace create/remove by bind mount, links (bridge, veth with the peer made in another namespace,
// vxlan), move to a namespace, rename, MTU, addresses, routes, FDB and neighbour entries, sysctls
// scoped to a namespace, sockets bound inside one, and the error shape (code, errno, syscall).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NetworkSystemError, createTaskNetns, netlink, removeTaskNetns } from '@tsstack/network';
import { cleanupNetns, createNetns, requireRoot } from '@tsstack/testkit';
import { execIn, linkNames, netnsPathOf } from './net-helpers';

describe('netlink binding', () => {
  let host: string;
  let dir: string;

  beforeAll(() => {
    requireRoot();
    host = netnsPathOf(createNetns('tsnl'));
    dir = fs.mkdtempSync('/run/tsn-nl-');
  });

  afterAll(async () => {
    for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
      await netlink.netnsRemove(path.join(dir, f)).catch(() => undefined);
    }
    require('node:child_process').spawnSync('umount', ['-l', dir]); // eslint-disable-line @typescript-eslint/no-require-imports
    fs.rmSync(dir, { recursive: true, force: true });
    cleanupNetns();
  });

  it('creates a task namespace by bind mount, loopback up, and removes it (twice is fine)', async () => {
    const p = await createTaskNetns('t-create', dir);
    expect(p).toBe(path.join(dir, 't-create'));
    expect(await createTaskNetns('t-create', dir)).toBe(p); // idempotent
    const lo = (await netlink.links(p)).find((l) => l.name === 'lo')!;
    expect(lo.up).toBe('1');
    expect(linkNames(p)).toEqual(['lo']);
    await removeTaskNetns('t-create', dir);
    await removeTaskNetns('t-create', dir);
    expect(fs.existsSync(p)).toBe(false);
  });

  it('builds a bridge with a veth whose peer is created in another namespace, with address and route', async () => {
    const task = await createTaskNetns('t-veth', dir);
    await netlink.apply([
      { op: 'linkAdd', netns: host, name: 'br0', kind: 'bridge', up: true, mtu: 1400 },
      { op: 'addrAdd', netns: host, name: 'br0', address: '10.123.0.1', prefix: 24 },
      {
        op: 'linkAdd',
        netns: host,
        name: 'vh0',
        kind: 'veth',
        peer: 'eth0',
        peerNetns: task,
        master: 'br0',
        up: true,
        mtu: 1400,
        peerMac: '02:42:0a:7b:00:02',
      },
      { op: 'linkSet', netns: host, name: 'vh0', hairpin: true },
      { op: 'addrAdd', netns: task, name: 'eth0', address: '10.123.0.2', prefix: 24 },
      { op: 'linkSet', netns: task, name: 'eth0', up: true },
      { op: 'routeAdd', netns: task, dst: 'default', gateway: '10.123.0.1' },
      { op: 'routeAdd', netns: task, dst: '198.18.0.0/15', gateway: '10.123.0.1' },
    ]);
    const hostLinks = await netlink.links(host);
    const br = hostLinks.find((l) => l.name === 'br0')!;
    expect(br.kind).toBe('bridge');
    expect(hostLinks.find((l) => l.name === 'vh0')).toMatchObject({
      kind: 'veth',
      master: br.index,
      up: '1',
      mtu: '1400',
    });
    const eth0 = (await netlink.links(task)).find((l) => l.name === 'eth0')!;
    expect(eth0).toMatchObject({ kind: 'veth', mac: '02:42:0a:7b:00:02', mtu: '1400', up: '1' });
    expect((await netlink.addrs(task)).filter((a) => a.address === '10.123.0.2')).toHaveLength(1);
    const routes = await netlink.routes(task);
    expect(routes.find((r) => r.dst === 'default')).toMatchObject({ gateway: '10.123.0.1' });
    expect(routes.map((r) => r.dst)).toEqual(expect.arrayContaining(['198.18.0.0/15', '10.123.0.0/24']));
    expect(await execIn(task, ['busybox', 'ping', '-c', '1', '-W', '2', '10.123.0.1'])).toContain(
      '1 packets received',
    );
    await netlink.apply([{ op: 'routeDel', netns: task, dst: '198.18.0.0/15', gateway: '10.123.0.1' }]);
    expect((await netlink.routes(task)).map((r) => r.dst)).not.toContain('198.18.0.0/15');
    await netlink.apply([{ op: 'linkDel', netns: host, name: 'vh0' }]);
    expect((await netlink.links(task)).map((l) => l.name)).toEqual(['lo']);
  });

  it('moves and renames a link into another namespace', async () => {
    const task = await createTaskNetns('t-move', dir);
    await netlink.apply([
      { op: 'linkAdd', netns: host, name: 'dum0', kind: 'veth', peer: 'dum1' }, // no dummy module on this kernel
      { op: 'linkSet', netns: host, name: 'dum0', moveNetns: task },
      { op: 'linkSet', netns: task, name: 'dum0', newName: 'net1', mtu: 1300, up: true },
    ]);
    expect((await netlink.links(host)).map((l) => l.name)).not.toContain('dum0');
    expect((await netlink.links(task)).find((l) => l.name === 'net1')).toMatchObject({
      kind: 'veth',
      mtu: '1300',
    });
    await netlink.apply([{ op: 'linkDel', netns: host, name: 'dum1' }]);
  });

  it('programs a VXLAN device with FDB and neighbour entries, and removes them', async () => {
    await netlink.apply([
      {
        op: 'linkAdd',
        netns: host,
        name: 'vx0',
        kind: 'vxlan',
        vni: 77,
        local: '10.123.0.1',
        port: 4789,
        master: 'br0',
        up: true,
      },
      { op: 'fdbSet', netns: host, name: 'vx0', mac: '02:42:0a:7c:00:07', address: '10.123.0.9' },
      { op: 'neighSet', netns: host, name: 'vx0', address: '10.124.0.7', mac: '02:42:0a:7c:00:07' },
    ]);
    const vx = (await netlink.links(host)).find((l) => l.name === 'vx0')!;
    expect(vx.kind).toBe('vxlan');
    const fdb = (await netlink.fdb(host)).filter((e) => e.index === vx.index && e.address);
    expect(fdb).toEqual([expect.objectContaining({ mac: '02:42:0a:7c:00:07', address: '10.123.0.9' })]);
    expect((await netlink.neigh(host)).find((n) => n.address === '10.124.0.7')).toMatchObject({
      mac: '02:42:0a:7c:00:07',
    });
    await netlink.apply([
      { op: 'neighDel', netns: host, name: 'vx0', address: '10.124.0.7' },
      { op: 'fdbDel', netns: host, name: 'vx0', mac: '02:42:0a:7c:00:07', address: '10.123.0.9' },
      {
        op: 'fdbDel',
        netns: host,
        name: 'vx0',
        mac: '02:42:0a:7c:00:07',
        address: '10.123.0.9',
        ignoreMissing: true,
      },
    ]);
    expect((await netlink.fdb(host)).filter((e) => e.index === vx.index && e.address)).toEqual([]);
    expect((await netlink.neigh(host)).find((n) => n.address === '10.124.0.7')).toBeUndefined();
  });

  it('writes sysctls in the namespace only', async () => {
    const mine = fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
    await netlink.apply([
      { op: 'sysctl', netns: host, key: 'net/ipv4/ip_forward', value: mine.trim() === '1' ? '0' : '1' },
    ]);
    expect(fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8')).toBe(mine);
    expect((await execIn(host, ['cat', '/proc/sys/net/ipv4/ip_forward'])).trim()).toBe(
      mine.trim() === '1' ? '0' : '1',
    );
  });

  it('binds a socket inside a namespace', async () => {
    const fd = await netlink.bindSocket(host, 'tcp', '10.123.0.1', 0);
    expect(fd).toBeGreaterThan(2);
    fs.closeSync(fd);
  });

  it('reports failures as NetworkSystemError with code, errno and the failing step', async () => {
    const err = await netlink
      .apply([{ op: 'linkAdd', netns: host, name: 'br0', kind: 'bridge' }])
      .catch((e) => e);
    expect(err).toBeInstanceOf(NetworkSystemError);
    expect(err).toMatchObject({ code: 'EEXIST', errno: 17, syscall: 'link add br0' });
    await expect(
      netlink.apply([{ op: 'addrAdd', netns: host, name: 'nope0', address: '10.1.1.1', prefix: 24 }]),
    ).rejects.toMatchObject({
      code: 'ENODEV',
    });
    await expect(
      netlink.apply([{ op: 'linkDel', netns: path.join(dir, 'missing'), name: 'x' }]),
    ).rejects.toMatchObject({
      code: 'ENOENT',
      syscall: 'open netns',
    });
    await netlink.apply([{ op: 'linkAdd', netns: host, name: 'br0', kind: 'bridge', ignoreExisting: true }]);
  });
});
