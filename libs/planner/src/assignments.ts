// Pure helpers for what a node is told to run, and for force-restarts: a task goes to its node's assignment
// set once placed (assigned or later) and leaves it when it has stopped and is no longer wanted.
import { TaskState, isTerminal, type Task } from '@tsstack/model';

/**
 * Tasks of `nodeId` its agent must know about. A stopped task stays listed until the agent reports it
 * terminal; after `dropStoppingAfterMs` (and never before its stop_grace_period + 10 s) it is dropped anyway so
 * the agent removes the container as an orphan.
 */
export function assignmentTasks(
  tasks: Task[],
  nodeId: string,
  now: number,
  dropStoppingAfterMs: number,
): Task[] {
  return tasks.filter((t) => {
    if (t.nodeId !== nodeId || t.status.state < TaskState.Assigned) return false;
    if (t.desiredState <= TaskState.Running) return true;
    if (isTerminal(t.status.state)) return false;
    // Never before the task's own stop_grace_period (plus 10 s) is over.
    const grace = Math.max(dropStoppingAfterMs, (t.spec.stopGracePeriodMs ?? 0) + 10_000);
    return now - t.updatedAt < grace;
  });
}

/** The hash tasks are compared with: the spec hash, plus the force counter of `service restart`. */
export function forceHash(specHash: string, force: number): string {
  return force > 0 ? `${specHash}+f${force}` : specHash;
}
