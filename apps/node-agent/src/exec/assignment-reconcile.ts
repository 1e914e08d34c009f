// Pure reconcile of the assignment set (what the controller wants on this node) against the containers the
// runtime reports (labelled with their task id). Never plans a duplicate container and never loses one:
// a running container whose task is still assigned is adopted, not restarted.
import { TaskState, isTerminal, type Task } from '@tsstack/model';

/** Label every container the agent creates carries. */
export const TASK_ID_LABEL = 'io.tsstack.task.id';

/** What the runtime reports about one container. */
export interface ObservedContainer {
  id: string;
  labels: Record<string, string>;
  running: boolean;
  pid?: number;
}

export type ReconcileAction =
  | { kind: 'adopt'; taskId: string; containerId: string; running: boolean }
  | { kind: 'run'; taskId: string }
  | { kind: 'stop'; taskId: string; containerId: string }
  | { kind: 'remove-orphan'; containerId: string; taskId?: string }
  | { kind: 'remove-duplicate'; taskId: string; containerId: string };

/**
 * `executing` are task ids this agent process already runs an executor for (they are left alone).
 * Returns actions in a stable order: adopt/remove first, then run/stop.
 */
export function reconcileAssignments(
  tasks: Task[],
  observed: ObservedContainer[],
  executing: ReadonlySet<string> = new Set(),
): ReconcileAction[] {
  const byTask = new Map<string, ObservedContainer[]>();
  const actions: ReconcileAction[] = [];
  for (const c of observed) {
    const tid = c.labels[TASK_ID_LABEL];
    if (!tid) continue; // not ours
    const list = byTask.get(tid) ?? [];
    list.push(c);
    byTask.set(tid, list);
  }
  const assigned = new Map(tasks.map((t) => [t.id, t]));

  for (const [tid, containers] of [...byTask.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const t = assigned.get(tid);
    // Keep one container per task: prefer a running one, then the first reported.
    const keep = containers.find((c) => c.running) ?? containers[0]!;
    for (const extra of containers.filter((c) => c !== keep)) {
      actions.push({ kind: 'remove-duplicate', taskId: tid, containerId: extra.id });
    }
    if (!t) {
      actions.push({ kind: 'remove-orphan', containerId: keep.id, taskId: tid });
      continue;
    }
    if (executing.has(tid)) continue;
    if (t.desiredState >= TaskState.Shutdown) {
      actions.push({ kind: 'stop', taskId: tid, containerId: keep.id });
    } else {
      actions.push({ kind: 'adopt', taskId: tid, containerId: keep.id, running: keep.running });
    }
  }

  for (const t of [...tasks].sort((a, b) => a.id.localeCompare(b.id))) {
    if (byTask.has(t.id) || executing.has(t.id)) continue;
    if (isTerminal(t.status.state)) continue;
    if (t.desiredState >= TaskState.Shutdown) continue;
    // A task past Starting without a container was lost (e.g. host reboot): the executor reports it failed.
    actions.push({ kind: 'run', taskId: t.id });
  }
  return actions;
}
