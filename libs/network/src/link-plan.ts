// Netlink op lists for each change, as plain data (the native binding runs a list in one call on one
// thread). Pure, so the exact order of kernel operations is unit-tested without root.
//   bridge network: bridge up with the gateway (and VIPs) on it
//   overlay network: the same plus a VXLAN device (learning off, ARP proxy on) enslaved to the bridge
//   attach: a veth whose peer is created directly inside the task namespace, address, default route
//   overlay peers: FDB (remote MAC -> remote node) and neighbour (remote IP -> remote MAC) entries
import type { NetworkEndpoint } from '@tsstack/model';
import type { NlOp } from './native/net-binding';
import { macForAddress } from './names';
import type { AttachmentRecord, NetworkRecord } from './types';

/** The IANA VXLAN port, used by every node. */
export const VXLAN_PORT = 4789;

/** VXLAN over IPv4 adds 50 bytes (outer IP 20 + UDP 8 + VXLAN 8 + inner Ethernet 14). */
export const VXLAN_OVERHEAD = 50;

const prefixOf = (subnet: string) => Number(subnet.split('/')[1]);

export function networkUpOps(n: NetworkRecord, hostNetns: string | undefined, nodeAddress?: string): NlOp[] {
  const netns = hostNetns;
  const prefix = prefixOf(n.subnet);
  const ops: NlOp[] = [
    { op: 'sysctl', netns, key: 'net/ipv4/ip_forward', value: '1' },
    {
      op: 'linkAdd',
      netns,
      name: n.bridge,
      kind: 'bridge',
      mtu: n.mtu,
      mac: macForAddress(n.lbAddress ?? n.gateway),
      ignoreExisting: true,
    },
    noIpv6(netns, n.bridge),
    // Published ports answer on 127.0.0.1 of the host: a locally sent packet DNATed from 127.0.0.1 leaves
    // on the bridge with a loopback source, which the kernel routes only with route_localnet (then the
    // postrouting chain masquerades it to the bridge's address).
    { op: 'sysctl', netns, key: `net/ipv4/conf/${n.bridge}/route_localnet`, value: '1' },
    { op: 'linkSet', netns, name: n.bridge, up: true },
    { op: 'addrAdd', netns, name: n.bridge, address: n.gateway, prefix, ignoreExisting: true },
  ];
  if (n.lbAddress)
    ops.push({ op: 'addrAdd', netns, name: n.bridge, address: n.lbAddress, prefix, ignoreExisting: true });
  for (const vip of Object.values(n.vips)) {
    ops.push({ op: 'addrAdd', netns, name: n.bridge, address: vip, prefix: 32, ignoreExisting: true });
  }
  if (n.driver === 'overlay' && n.vxlan) {
    ops.push({
      op: 'linkAdd',
      netns,
      name: n.vxlan,
      kind: 'vxlan',
      vni: n.vni,
      local: nodeAddress,
      port: VXLAN_PORT,
      mtu: n.mtu,
      master: n.bridge,
      up: true,
      ignoreExisting: true,
    });
  }
  return ops;
}

export function networkDownOps(n: NetworkRecord, hostNetns: string | undefined): NlOp[] {
  const ops: NlOp[] = [];
  if (n.vxlan) ops.push({ op: 'linkDel', netns: hostNetns, name: n.vxlan, ignoreMissing: true });
  ops.push({ op: 'linkDel', netns: hostNetns, name: n.bridge, ignoreMissing: true });
  return ops;
}

/** VIP addresses to add or remove on the bridge when a network's VIP map changes. */
export function vipOps(
  n: NetworkRecord,
  before: string[],
  after: string[],
  hostNetns: string | undefined,
): NlOp[] {
  const ops: NlOp[] = [];
  for (const v of before.filter((x) => !after.includes(x))) {
    ops.push({
      op: 'addrDel',
      netns: hostNetns,
      name: n.bridge,
      address: v,
      prefix: 32,
      ignoreMissing: true,
    });
  }
  for (const v of after.filter((x) => !before.includes(x))) {
    ops.push({
      op: 'addrAdd',
      netns: hostNetns,
      name: n.bridge,
      address: v,
      prefix: 32,
      ignoreExisting: true,
    });
  }
  return ops;
}

/** IPv4-only networks: no IPv6 link-local address, DAD or router solicitation on tsstack's links. */
function noIpv6(netns: string | undefined, link: string): NlOp {
  return { op: 'sysctl', netns, key: `net/ipv6/conf/${link}/disable_ipv6`, value: '1', ignoreMissing: true };
}

export function attachOps(n: NetworkRecord, a: AttachmentRecord, hostNetns: string | undefined): NlOp[] {
  const prefix = prefixOf(n.subnet);
  const ops: NlOp[] = [
    {
      op: 'linkAdd',
      netns: hostNetns,
      name: a.hostVeth,
      kind: 'veth',
      peer: a.ifName,
      peerNetns: a.netnsPath,
      peerMac: a.mac,
      mtu: n.mtu,
      master: n.bridge,
    },
    noIpv6(hostNetns, a.hostVeth),
    { op: 'linkSet', netns: hostNetns, name: a.hostVeth, up: true, hairpin: true },
    noIpv6(a.netnsPath, a.ifName),
    { op: 'addrAdd', netns: a.netnsPath, name: a.ifName, address: a.address, prefix },
    { op: 'linkSet', netns: a.netnsPath, name: a.ifName, up: true },
  ];
  if (a.defaultRoute) ops.push({ op: 'routeAdd', netns: a.netnsPath, dst: 'default', gateway: n.gateway });
  return ops;
}

/** Deleting the host end removes the pair, wherever the peer lives. */
export function detachOps(a: AttachmentRecord, hostNetns: string | undefined): NlOp[] {
  return [{ op: 'linkDel', netns: hostNetns, name: a.hostVeth, ignoreMissing: true }];
}

const peerKey = (ep: NetworkEndpoint) =>
  `${ep.address}|${ep.mac || macForAddress(ep.address)}|${ep.nodeAddress}`;

/**
 * FDB and neighbour entries on a node's VXLAN device for the endpoints on other nodes: entries of endpoints
 * gone or moved are deleted, new ones set. Only remote endpoints are given (the caller filters by node).
 */
export function overlayPeerOps(
  n: NetworkRecord,
  before: NetworkEndpoint[],
  after: NetworkEndpoint[],
  hostNetns: string | undefined,
): NlOp[] {
  if (!n.vxlan) return [];
  const ops: NlOp[] = [];
  const afterKeys = new Set(after.map(peerKey));
  const beforeKeys = new Set(before.map(peerKey));
  for (const ep of before) {
    if (afterKeys.has(peerKey(ep))) continue;
    const mac = ep.mac || macForAddress(ep.address);
    ops.push({ op: 'neighDel', netns: hostNetns, name: n.vxlan, address: ep.address, ignoreMissing: true });
    ops.push({
      op: 'fdbDel',
      netns: hostNetns,
      name: n.vxlan,
      mac,
      address: ep.nodeAddress,
      ignoreMissing: true,
    });
  }
  for (const ep of after) {
    if (beforeKeys.has(peerKey(ep))) continue;
    const mac = ep.mac || macForAddress(ep.address);
    ops.push({ op: 'fdbSet', netns: hostNetns, name: n.vxlan, mac, address: ep.nodeAddress });
    ops.push({ op: 'neighSet', netns: hostNetns, name: n.vxlan, address: ep.address, mac });
  }
  return ops;
}
