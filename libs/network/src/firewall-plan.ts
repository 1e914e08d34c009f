// From the network state to the nftables model: which networks are internal or open to inbound connections,
// which ports are published to which task addresses, which VIP spreads over which serving tasks, which
// destinations sit on other nodes, which nodes may send VXLAN, where the embedded DNS listens.
// Pure; nft-ruleset.ts renders the result.
import { VXLAN_PORT } from './link-plan';
import type { FirewallState, PortRule } from './nft-ruleset';
import type { AttachmentRecord, NetworkState } from './types';

/** Docker's driver option for "NAT, but let the outside reach every port of the network's containers". */
export const OPEN_INBOUND_OPTION = 'com.docker.network.bridge.gateway_mode_ipv4';

/**
 * Whether a network's driver options allow new connections from outside to every port of its tasks:
 * `com.docker.network.bridge.gateway_mode_ipv4: nat-unprotected`, as in Docker. Default: published ports only.
 */
export function opensInbound(driverOpts: Record<string, string> | undefined): boolean {
  return driverOpts?.[OPEN_INBOUND_OPTION] === 'nat-unprotected';
}

interface Backend {
  address: string;
  local: boolean;
  service: string;
  stack?: string;
  networkId: string;
}

function backends(state: NetworkState, nodeId?: string): Backend[] {
  const out: Backend[] = [];
  for (const a of state.attachments) {
    if (a.serving)
      out.push({
        address: a.address,
        local: true,
        service: a.service,
        stack: a.stack,
        networkId: a.networkId,
      });
  }
  for (const n of Object.values(state.networks)) {
    for (const ep of n.remote) {
      if (!ep.serving || ep.nodeId === nodeId) continue;
      out.push({ address: ep.address, local: false, service: ep.service, networkId: n.id });
    }
  }
  return out;
}

function expand(
  p: { published: number; target: number },
  count = 1,
): Array<{ published: number; target: number }> {
  return Array.from({ length: count }, (_, i) => ({ published: p.published + i, target: p.target + i }));
}

function firstAttachment(state: NetworkState, taskId: string): AttachmentRecord | undefined {
  return state.attachments.find((a) => a.taskId === taskId && !state.networks[a.networkId]?.internal);
}

export function planFirewall(state: NetworkState, nodeId?: string, dnsPort = 53): FirewallState {
  const all = backends(state, nodeId);
  const ports: PortRule[] = [];
  for (const [taskId, list] of Object.entries(state.published)) {
    const a = firstAttachment(state, taskId);
    if (!a) continue;
    for (const p of list) {
      for (const one of expand(p)) {
        ports.push({ protocol: p.protocol, ...one, hostIp: p.hostIp, backends: [a.address] });
      }
    }
  }
  const remoteUsed = new Map<string, Set<string>>();
  for (const ing of state.ingress) {
    const mine = all.filter(
      (b) =>
        b.service === ing.service &&
        (!b.stack || b.stack === ing.stack) &&
        !state.networks[b.networkId]?.internal &&
        (b.local || !!state.networks[b.networkId]?.lbAddress),
    );
    const local = mine.filter((b) => b.local);
    const chosen = ing.localOnly ? local : mine;
    for (const b of chosen.filter((x) => !x.local)) {
      if (!remoteUsed.has(b.networkId)) remoteUsed.set(b.networkId, new Set());
      remoteUsed.get(b.networkId)!.add(b.address);
    }
    ports.push({
      protocol: ing.protocol,
      published: ing.published,
      target: ing.target,
      backends: [...new Set(chosen.map((b) => b.address))],
    });
  }
  const vips = [];
  for (const n of Object.values(state.networks)) {
    for (const [svc, vip] of Object.entries(n.vips)) {
      const bs = all.filter((b) => b.networkId === n.id && b.service === svc && (b.local || !!n.lbAddress));
      for (const b of bs.filter((x) => !x.local)) {
        if (!remoteUsed.has(n.id)) remoteUsed.set(n.id, new Set());
        remoteUsed.get(n.id)!.add(b.address);
      }
      vips.push({ vip, backends: [...new Set(bs.map((b) => b.address))] });
    }
  }
  const overlays = Object.values(state.networks).filter((n) => n.driver === 'overlay');
  return {
    networks: Object.values(state.networks).map((n) => ({
      id: n.id,
      bridge: n.bridge,
      subnet: n.subnet,
      internal: n.internal,
      lbAddress: n.lbAddress,
      remoteAddresses: [...(remoteUsed.get(n.id) ?? [])],
      openInbound: !!n.openInbound,
    })),
    ports,
    vips,
    ...(overlays.length
      ? {
          vxlanPort: VXLAN_PORT,
          vxlanVnis: [...new Set(overlays.flatMap((n) => (n.vni ? [n.vni] : [])))].sort((a, b) => a - b),
          vxlanPeers: [...new Set(overlays.flatMap((n) => n.remote.map((ep) => ep.nodeAddress)))].sort(),
        }
      : {}),
    dnsAddresses: [...new Set(Object.values(state.networks).map((n) => n.gateway))].sort(),
    dnsPort,
  };
}
