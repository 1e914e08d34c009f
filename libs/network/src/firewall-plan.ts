// From the network state to the nftables model: which networks are internal, which ports are published to
// which task addresses, which VIP spreads over which serving tasks, which destinations sit on other nodes.
// Pure; nft-ruleset.ts renders the result.
import type { FirewallState, PortRule } from './nft-ruleset';
import type { AttachmentRecord, NetworkState } from './types';

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

export function planFirewall(state: NetworkState, nodeId?: string): FirewallState {
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
  return {
    networks: Object.values(state.networks).map((n) => ({
      id: n.id,
      bridge: n.bridge,
      subnet: n.subnet,
      internal: n.internal,
      lbAddress: n.lbAddress,
      remoteAddresses: [...(remoteUsed.get(n.id) ?? [])],
    })),
    ports,
    vips,
  };
}
