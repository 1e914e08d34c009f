// Pure: has an attached `tsstack up` anything left to follow? From the task rows of a stack and each service's
// restart policy, says which services ended for good (every task the controller still wants ended and the
// planner will not restart it) and whether the whole stack did, with the exit code `up` then returns.
import { TaskState, parseTaskState, type RestartPolicy, type TaskRow } from '@tsstack/model';

/** What `up` knows of a service from the stack file: replicas wanted and its restart policy. */
export interface ServiceEndInput {
  replicas: number;
  restartPolicy: RestartPolicy;
}

/**
 * - active: a task still runs or is on its way, or one ended and will be restarted;
 * - ended: every task ended and none will be restarted;
 * - ended-unless-restarted: every task ended, and the policy restarts only until max_attempts, which the rows
 *   do not tell: ended once that held long enough for the reconciler to have replaced the task.
 */
export type ServiceEnd = 'active' | 'ended' | 'ended-unless-restarted';

export interface StackEnd {
  /** Every service ended (some maybe only unless restarted, see `settled`). */
  ended: boolean;
  /** Ended for certain: no service waits on an unknown restart count. */
  settled: boolean;
  /** 0 when every ended task completed with exit code 0, else 1. */
  exitCode: 0 | 1;
}

function taskFailed(t: TaskRow): boolean {
  return t.state === 'failed' || t.state === 'rejected' || (t.exitCode ?? 0) !== 0;
}

function restartsAfter(t: TaskRow, policy: RestartPolicy): 'never' | 'always' | 'until-max-attempts' {
  if (policy.condition === 'none') return 'never';
  if (policy.condition === 'on-failure' && !taskFailed(t)) return 'never';
  return policy.maxAttempts > 0 ? 'until-max-attempts' : 'always';
}

/** The tasks the controller still wants (desired running) of one service; rows name it `<stack>_<service>`. */
function currentTasks(rows: TaskRow[], stack: string, service: string): TaskRow[] {
  const names = new Set([service, `${stack}_${service}`]);
  return rows.filter((t) => names.has(t.service) && t.desiredState === 'running');
}

export function serviceEnd(input: ServiceEndInput, current: TaskRow[]): ServiceEnd {
  if (current.length === 0) return input.replicas > 0 ? 'active' : 'ended';
  if (current.some((t) => parseTaskState(t.state) < TaskState.Complete)) return 'active';
  const restarts = current.map((t) => restartsAfter(t, input.restartPolicy));
  if (restarts.includes('always')) return 'active';
  return restarts.includes('until-max-attempts') ? 'ended-unless-restarted' : 'ended';
}

/** Each service's end state, by the stack file's service names. */
export function serviceEnds(
  services: Record<string, ServiceEndInput>,
  stack: string,
  rows: TaskRow[],
): Record<string, ServiceEnd> {
  return Object.fromEntries(
    Object.entries(services).map(([name, input]) => [
      name,
      serviceEnd(input, currentTasks(rows, stack, name)),
    ]),
  );
}

export function stackEnd(
  services: Record<string, ServiceEndInput>,
  stack: string,
  rows: TaskRow[],
): StackEnd {
  const ends = Object.values(serviceEnds(services, stack, rows));
  const failed = Object.keys(services).some((name) => currentTasks(rows, stack, name).some(taskFailed));
  return {
    ended: ends.every((e) => e !== 'active'),
    settled: ends.every((e) => e === 'ended'),
    exitCode: failed ? 1 : 0,
  };
}
