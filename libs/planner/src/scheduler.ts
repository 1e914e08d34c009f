// Pure scheduler: a pipeline of node filters (status, availability, constraints, max_replicas_per_node,
// resource reservations), each explaining refusals, then spread: placement preferences (fewest tasks of the
// service per label value), then fewest tasks of the service, then fewest tasks overall, then node id.
import { TsstackError, type ClusterNode, type PlacementSpec } from '@tsstack/model';

export class ConstraintSyntaxError extends TsstackError {
  constructor(expr: string) {
    super(
      'PLANNER_BAD_CONSTRAINT',
      `placement constraint "${expr}" is not understood: write node.<hostname|id|role|labels.KEY> == or != value`,
    );
  }
}

function nodeAttr(node: ClusterNode, key: string): string | undefined {
  if (key === 'node.hostname') return node.hostname;
  if (key === 'node.id') return node.id;
  if (key === 'node.role') return node.role;
  if (key.startsWith('node.labels.')) return node.labels[key.slice('node.labels.'.length)];
  throw new ConstraintSyntaxError(key);
}

/** undefined = the node passes; else the reason it is refused. */
export function checkConstraint(node: ClusterNode, expr: string): string | undefined {
  const m = /^\s*([\w.-]+)\s*(==|!=)\s*(.+?)\s*$/.exec(expr);
  if (!m) throw new ConstraintSyntaxError(expr);
  const [, key, op, want] = m as unknown as [string, string, string, string];
  const have = nodeAttr(node, key);
  const ok = op === '==' ? have === want : have !== want;
  return ok ? undefined : `constraint ${expr.trim()} not met (${key}=${have ?? '<unset>'})`;
}

export interface ScheduleInput {
  nodes: ClusterNode[];
  placement: PlacementSpec;
  /** Tasks of this service already placed per node id. */
  serviceLoad: Record<string, number>;
  /** All tasks per node id. */
  totalLoad: Record<string, number>;
  /** What one task of this service reserves (resources.reservations). */
  reservation?: { nanoCpus?: number; memoryBytes?: number };
  /** Reservations already taken per node id by live tasks. */
  usedResources?: Record<string, { nanoCpus: number; memoryBytes: number }>;
}

function resourceRefusal(n: ClusterNode, input: ScheduleInput): string | undefined {
  const want = input.reservation;
  if (!want) return undefined;
  const used = input.usedResources?.[n.id] ?? { nanoCpus: 0, memoryBytes: 0 };
  const cpu = want.nanoCpus ?? 0;
  const mem = want.memoryBytes ?? 0;
  if (cpu > 0 && used.nanoCpus + cpu > n.resources.nanoCpus) {
    return `insufficient cpu: wants ${cpu / 1e9}, ${(n.resources.nanoCpus - used.nanoCpus) / 1e9} free`;
  }
  if (mem > 0 && used.memoryBytes + mem > n.resources.memoryBytes) {
    return `insufficient memory: wants ${mem} bytes, ${n.resources.memoryBytes - used.memoryBytes} free`;
  }
  return undefined;
}

/** Tasks of the service per value of `label` (nodes without it share the value ''). */
function labelLoad(nodes: ClusterNode[], label: string, serviceLoad: Record<string, number>) {
  const key = label.replace(/^node\.labels\./, '');
  const byValue: Record<string, number> = {};
  for (const n of nodes) {
    const v = n.labels[key] ?? '';
    byValue[v] = (byValue[v] ?? 0) + (serviceLoad[n.id] ?? 0);
  }
  return (n: ClusterNode) => byValue[n.labels[key] ?? ''] ?? 0;
}

export interface ScheduleResult {
  nodeId?: string;
  /** Per refused node: why. */
  refusals: Record<string, string>;
}

export function pickNode(input: ScheduleInput): ScheduleResult {
  const refusals: Record<string, string> = {};
  const fit: ClusterNode[] = [];
  for (const n of input.nodes) {
    let why: string | undefined;
    if (n.status !== 'ready') why = `node is ${n.status}`;
    else if (n.availability !== 'active') why = `node availability is ${n.availability}`;
    for (const c of input.placement.constraints) why ??= checkConstraint(n, c);
    const max = input.placement.maxReplicasPerNode;
    if (!why && max !== undefined && max > 0 && (input.serviceLoad[n.id] ?? 0) >= max) {
      why = `max_replicas_per_node ${max} reached`;
    }
    if (!why) why = resourceRefusal(n, input);
    if (why) refusals[n.id] = why;
    else fit.push(n);
  }
  // Spread preferences count over every node that passes the status filters, as Swarm does.
  const spreads = (input.placement.preferences ?? []).map((p) =>
    labelLoad(
      input.nodes.filter((n) => n.status === 'ready' && n.availability === 'active'),
      p.spread,
      input.serviceLoad,
    ),
  );
  const prefer = (a: ClusterNode, b: ClusterNode): number => {
    for (const f of spreads) {
      const d = f(a) - f(b);
      if (d) return d;
    }
    return 0;
  };
  fit.sort(
    (a, b) =>
      prefer(a, b) ||
      (input.serviceLoad[a.id] ?? 0) - (input.serviceLoad[b.id] ?? 0) ||
      (input.totalLoad[a.id] ?? 0) - (input.totalLoad[b.id] ?? 0) ||
      a.id.localeCompare(b.id),
  );
  return { nodeId: fit[0]?.id, refusals };
}

/** Place `count` new replicas one by one, updating loads; unplaced ones get the refusals. */
export function placeReplicas(input: ScheduleInput, count: number): ScheduleResult[] {
  const serviceLoad = { ...input.serviceLoad };
  const totalLoad = { ...input.totalLoad };
  const usedResources = { ...(input.usedResources ?? {}) };
  const out: ScheduleResult[] = [];
  for (let i = 0; i < count; i++) {
    const r = pickNode({ ...input, serviceLoad, totalLoad, usedResources });
    if (r.nodeId) {
      serviceLoad[r.nodeId] = (serviceLoad[r.nodeId] ?? 0) + 1;
      totalLoad[r.nodeId] = (totalLoad[r.nodeId] ?? 0) + 1;
      const u = usedResources[r.nodeId] ?? { nanoCpus: 0, memoryBytes: 0 };
      usedResources[r.nodeId] = {
        nanoCpus: u.nanoCpus + (input.reservation?.nanoCpus ?? 0),
        memoryBytes: u.memoryBytes + (input.reservation?.memoryBytes ?? 0),
      };
    }
    out.push(r);
  }
  return out;
}
