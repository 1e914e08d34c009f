import { opensInbound, planFirewall } from './firewall-plan';
import type { AttachmentRecord, NetworkRecord, NetworkState } from './types';

const net = (id: string, more: Partial<NetworkRecord> = {}): NetworkRecord => ({
  id,
  driver: 'overlay',
  internal: false,
  subnet: '10.9.0.0/24',
  gateway: '10.9.0.1',
  bridge: `br_${id}`,
  mtu: 1450,
  vips: {},
  remote: [],
  ...more,
});
const att = (taskId: string, address: string, service: string, serving = true): AttachmentRecord => ({
  taskId,
  networkId: 'o',
  netnsPath: `/ns/${taskId}`,
  ifName: 'eth0',
  hostVeth: `v${taskId}`,
  address,
  mac: '',
  aliases: [],
  service,
  stack: 's',
  taskName: taskId,
  serving,
  defaultRoute: true,
});
const remote = (address: string, serving = true) => ({
  taskId: address,
  taskName: address,
  service: 'web',
  aliases: [],
  address,
  mac: '',
  nodeId: 'n2',
  nodeAddress: '192.0.2.12',
  serving,
});

describe('planFirewall', () => {
  const state: NetworkState = {
    version: 1,
    ipam: { version: 1, networks: {} },
    networks: {
      o: net('o', {
        vni: 4100,
        vips: { web: '10.9.0.100' },
        lbAddress: '10.9.0.250',
        remote: [remote('10.9.0.7'), remote('10.9.0.8', false)],
      }),
    },
    attachments: [att('w1', '10.9.0.5', 'web'), att('w2', '10.9.0.6', 'web', false)],
    published: { w1: [{ protocol: 'tcp', published: 8080, target: 80 }] },
    ingress: [
      { stack: 's', service: 'web', published: 9000, target: 80, protocol: 'tcp', localOnly: false },
      { stack: 's', service: 'web', published: 9001, target: 80, protocol: 'tcp', localOnly: true },
    ],
  };

  it('sends host ports to the task, ingress and VIPs to serving tasks (local only when asked)', () => {
    const plan = planFirewall(state, 'n1');
    expect(plan.ports).toEqual([
      { protocol: 'tcp', published: 8080, target: 80, hostIp: undefined, backends: ['10.9.0.5'] },
      { protocol: 'tcp', published: 9000, target: 80, backends: ['10.9.0.5', '10.9.0.7'] },
      { protocol: 'tcp', published: 9001, target: 80, backends: ['10.9.0.5'] },
    ]);
    expect(plan.vips).toEqual([{ vip: '10.9.0.100', backends: ['10.9.0.5', '10.9.0.7'] }]);
    expect(plan.networks[0].remoteAddresses).toEqual(['10.9.0.7']);
  });

  it('accepts VXLAN from the other nodes only and knows where the DNS listens', () => {
    const plan = planFirewall(state, 'n1', 5353);
    expect(plan).toMatchObject({ vxlanPort: 4789, vxlanPeers: ['192.0.2.12'], vxlanVnis: [4100], dnsAddresses: ['10.9.0.1'], dnsPort: 5353 }); // prettier-ignore
    const bridgeOnly = planFirewall({ ...state, networks: { o: net('o', { driver: 'bridge' }) } }, 'n1');
    expect(bridgeOnly.vxlanPort).toBeUndefined();
  });

  it('opens a network to inbound connections only on Docker’s nat-unprotected option', () => {
    expect(opensInbound({ 'com.docker.network.bridge.gateway_mode_ipv4': 'nat-unprotected' })).toBe(true);
    expect(opensInbound({ 'com.docker.network.bridge.gateway_mode_ipv4': 'nat' })).toBe(false);
    expect(opensInbound(undefined)).toBe(false);
    const open = planFirewall({ ...state, networks: { o: net('o', { openInbound: true }) } }, 'n1');
    expect(open.networks[0].openInbound).toBe(true);
    expect(planFirewall(state, 'n1').networks[0].openInbound).toBe(false);
  });

  it('reaches remote tasks only through a node address on the network', () => {
    const noLb = { ...state, networks: { o: { ...state.networks.o, lbAddress: undefined } } };
    const plan = planFirewall(noLb, 'n1');
    expect(plan.vips[0].backends).toEqual(['10.9.0.5']);
    expect(plan.networks[0].remoteAddresses).toEqual([]);
  });
});
