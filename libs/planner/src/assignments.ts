// Pure helpers for what a node is told to run, and for force-restarts: a task goes to its node's assignment
// set once placed (assigned or later) and leaves it when it has stopped and is no longer wanted.
import { TaskState, isTerminal, type Task } from '@tsstack/model';

/**
 * A running task the controller wants stopped whose endpoint drain is not over: every node's network
 * assignment already shows it `serving: false`, but its own agent keeps it running until `drainMs` after the
 * desired state changed (`updatedAt`), so no node still routes new requests to a stopped container.
 */
export function isDraining(t: Task, now: number, drainMs: number): boolean {
  return (
    t.desiredState > TaskState.Running && t.status.state === TaskState.Running && now < t.updatedAt + drainMs
  );
}

/**
 * Tasks of `nodeId` its agent must know about. A stopped task stays listed until the agent reports it
 * terminal; after `dropStoppingAfterMs` (and never before its stop_grace_period + 10 s) it is dropped anyway so
 * the agent removes the container as an orphan. A draining task (see isDraining) is still sent with desired
 * state running, when other nodes may route to it (`routedFromOtherNodes`); its own agent takes a task out
 * of its DNS and firewall before stopping it, so a task no other node routes to needs no drain.
 */
export function assignmentTasks(
  tasks: Task[],
  nodeId: string,
  now: number,
  dropStoppingAfterMs: number,
  drainMs = 0,
  routedFromOtherNodes: (t: Task) => boolean = () => true,
): Task[] {
  const out: Task[] = [];
  for (const t of tasks) {
    if (t.nodeId !== nodeId || t.status.state < TaskState.Assigned) continue;
    if (t.desiredState <= TaskState.Running) out.push(t);
    else if (isDraining(t, now, drainMs) && routedFromOtherNodes(t))
      out.push({ ...t, desiredState: TaskState.Running });
    else if (isTerminal(t.status.state)) continue;
    else {
      // Never before the task's own stop_grace_period (plus 10 s) is over.
      const grace = Math.max(dropStoppingAfterMs, (t.spec.stopGracePeriodMs ?? 0) + 10_000);
      if (now - t.updatedAt < grace) out.push(t);
    }
  }
  return out;
}

/** The hash tasks are compared with: the spec hash, plus the force counter of `service restart`. */
export function forceHash(specHash: string, force: number): string {
  return force > 0 ? `${specHash}+f${force}` : specHash;
}
