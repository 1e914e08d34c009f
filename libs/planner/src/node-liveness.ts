// Pure node liveness: a node is down when no heartbeat came within `downAfterMs` (heartbeat interval times
// the allowed misses); a down node with a fresh heartbeat is ready again.
import type { ClusterNode, NodeStatus } from '@tsstack/model';

export interface NodeStatusChange {
  id: string;
  from: NodeStatus;
  to: NodeStatus;
}

/** `heartbeats`: last heartbeat per node id (ms); falls back to the node's lastHeartbeat. */
export function nodeLiveness(
  nodes: ClusterNode[],
  heartbeats: Record<string, number>,
  now: number,
  downAfterMs: number,
): NodeStatusChange[] {
  const out: NodeStatusChange[] = [];
  for (const n of nodes) {
    const last = Math.max(heartbeats[n.id] ?? 0, n.lastHeartbeat ?? 0);
    const fresh = now - last <= downAfterMs;
    if (n.status !== 'down' && !fresh) out.push({ id: n.id, from: n.status, to: 'down' });
    else if (n.status !== 'ready' && fresh) out.push({ id: n.id, from: n.status, to: 'ready' });
  }
  return out;
}
