// Pure scheduler: a pipeline of node filters, each explaining refusals, then spread (fewest tasks of the
// service, then fewest tasks overall, then node id for determinism).
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
    if (why) refusals[n.id] = why;
    else fit.push(n);
  }
  fit.sort(
    (a, b) =>
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
  const out: ScheduleResult[] = [];
  for (let i = 0; i < count; i++) {
    const r = pickNode({ ...input, serviceLoad, totalLoad });
    if (r.nodeId) {
      serviceLoad[r.nodeId] = (serviceLoad[r.nodeId] ?? 0) + 1;
      totalLoad[r.nodeId] = (totalLoad[r.nodeId] ?? 0) + 1;
    }
    out.push(r);
  }
  return out;
}
