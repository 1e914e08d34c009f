import { attachOps, networkUpOps, overlayPeerOps } from './link-plan';
import type { AttachmentRecord, NetworkRecord } from './types';

const overlay: NetworkRecord = {
  id: 's_net',
  driver: 'overlay',
  internal: false,
  subnet: '10.9.0.0/24',
  gateway: '10.9.0.1',
  bridge: 'tsbrx',
  vxlan: 'tsvxx',
  vni: 42,
  mtu: 1450,
  vips: { web: '10.9.0.100' },
  lbAddress: '10.9.0.250',
  remote: [],
};

describe('link plans', () => {
  it('brings up a bridge with gateway, node address and VIPs, then the VXLAN device on it', () => {
    const ops = networkUpOps(overlay, '/run/netns/h1', '192.0.2.11');
    expect(ops.map((o) => o.op)).toEqual([
      'sysctl',
      'linkAdd',
      'sysctl',
      'sysctl',
      'linkSet',
      'addrAdd',
      'addrAdd',
      'addrAdd',
      'linkAdd',
    ]);
    expect(ops[3]).toMatchObject({ key: 'net/ipv4/conf/tsbrx/route_localnet', value: '1' });
    expect(ops[8]).toMatchObject({ kind: 'vxlan', vni: 42, local: '192.0.2.11', master: 'tsbrx', mtu: 1450 });
    expect(ops.every((o) => o.netns === '/run/netns/h1')).toBe(true);
  });

  it('attaches a task: veth peer made inside the task namespace, address, default route', () => {
    const a: AttachmentRecord = {
      taskId: 't1',
      networkId: 's_net',
      netnsPath: '/run/tsstack/netns/t1',
      ifName: 'eth0',
      hostVeth: 'tsve1',
      address: '10.9.0.5',
      mac: '02:42:0a:09:00:05',
      aliases: [],
      service: 'web',
      taskName: 't1',
      serving: true,
      defaultRoute: true,
    };
    const ops = attachOps(overlay, a, undefined);
    expect(ops[0]).toMatchObject({
      op: 'linkAdd',
      kind: 'veth',
      peer: 'eth0',
      peerNetns: a.netnsPath,
      master: 'tsbrx',
    });
    expect(ops.slice(1).map((o) => o.op)).toEqual([
      'sysctl',
      'linkSet',
      'sysctl',
      'addrAdd',
      'linkSet',
      'routeAdd',
    ]);
    expect(ops[6]).toMatchObject({ netns: a.netnsPath, dst: 'default', gateway: '10.9.0.1' });
    expect(attachOps(overlay, { ...a, defaultRoute: false }, undefined).map((o) => o.op)).not.toContain(
      'routeAdd',
    );
  });

  it('programs FDB and neighbour entries only for what changed', () => {
    const ep = (address: string, nodeAddress: string) => ({
      taskId: address,
      taskName: address,
      service: 's',
      aliases: [],
      address,
      mac: '',
      nodeId: nodeAddress,
      nodeAddress,
      serving: true,
    });
    const before = [ep('10.9.0.7', '192.0.2.12'), ep('10.9.0.8', '192.0.2.13')];
    const after = [ep('10.9.0.7', '192.0.2.12'), ep('10.9.0.9', '192.0.2.13')];
    const ops = overlayPeerOps(overlay, before, after, undefined);
    expect(ops).toEqual([
      { op: 'neighDel', netns: undefined, name: 'tsvxx', address: '10.9.0.8', ignoreMissing: true },
      {
        op: 'fdbDel',
        netns: undefined,
        name: 'tsvxx',
        mac: '02:42:0a:09:00:08',
        address: '192.0.2.13',
        ignoreMissing: true,
      },
      { op: 'fdbSet', netns: undefined, name: 'tsvxx', mac: '02:42:0a:09:00:09', address: '192.0.2.13' },
      { op: 'neighSet', netns: undefined, name: 'tsvxx', address: '10.9.0.9', mac: '02:42:0a:09:00:09' },
    ]);
  });
});
