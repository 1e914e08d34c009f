// Small pure predicates over tasks and nodes shared by the orchestrator, the updater and the scheduler pass.
import { TaskState, isTerminal, type ClusterNode, type ServiceSpec, type Task } from '@tsstack/model';

/** The controller still wants this task (desired running): it holds its slot. */
export function isCurrent(t: Task): boolean {
  return t.desiredState <= TaskState.Running;
}

export function isJob(spec: ServiceSpec): boolean {
  return spec.deploy.mode === 'replicated-job' || spec.deploy.mode === 'global-job';
}

export function isGlobal(spec: ServiceSpec): boolean {
  return spec.deploy.mode === 'global' || spec.deploy.mode === 'global-job';
}

/** The spec asks for a health check (a `['NONE']` test disables it). */
export function hasHealthcheck(spec: ServiceSpec): boolean {
  const test = spec.healthcheck?.test ?? [];
  return test.length > 0 && test[0] !== 'NONE';
}

/**
 * Running and healthy: health 'healthy', or 'none' only when the spec has no health check (a checked task
 * that reports 'none' has not been probed yet). Counts as updated / serving.
 */
export function isHealthyRunning(t: Task): boolean {
  if (t.status.state !== TaskState.Running) return false;
  if (t.status.health === 'healthy') return true;
  return (t.status.health ?? 'none') === 'none' && !hasHealthcheck(t.spec);
}

/** The task's node is gone, down or drained: it cannot keep running there. */
export function nodeLostReason(t: Task, nodes: Map<string, ClusterNode>): string | undefined {
  if (!t.nodeId) return undefined;
  const n = nodes.get(t.nodeId);
  if (!n) return 'node removed';
  if (n.status === 'down') return 'node down';
  if (n.availability === 'drain') return 'node drained';
  return undefined;
}

/** A stopped task whose stop is over (or can never be observed: no node, node gone or down). */
export function isFinished(t: Task, nodes: Map<string, ClusterNode>): boolean {
  if (isCurrent(t)) return false;
  if (isTerminal(t.status.state) || !t.nodeId) return true;
  const n = nodes.get(t.nodeId);
  return !n || n.status === 'down';
}

/** A terminal state that is a failure for restart and rolling-update purposes. */
export function endedInFailure(t: Task): boolean {
  const s = t.status.state;
  if (s === TaskState.Failed || s === TaskState.Rejected) return true;
  return s === TaskState.Complete && !isJob(t.spec);
}

/**
 * A rolling-update failure: the task ended in failure before it ever counted as updated (`okAt` undefined:
 * never running and healthy), or within `monitorMs` of counting as updated.
 */
export function failedWithinMonitor(
  t: Task,
  monitorMs: number,
  now: number,
  okAt: number | undefined,
): boolean {
  if (!endedInFailure(t)) return false;
  if (okAt === undefined) return true;
  return (t.status.finishedAt ?? now) - okAt < monitorMs;
}

export function slotKeyOf(t: Task): string {
  return t.slot !== undefined ? `s:${t.slot}` : `n:${t.nodeId ?? ''}`;
}

export function newestFirst(a: Task, b: Task): number {
  return b.createdAt - a.createdAt || b.id.localeCompare(a.id);
}
