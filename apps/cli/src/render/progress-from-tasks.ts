// Pure: derives each service's progress (pulling n%, starting n/m, running, healthy, failed) from the task list the
// controller reports and the replica counts wanted. `up --wait` is done when every service is at its goal.
import type { TaskRow } from '../client/api-types';
import type { ServiceProgress } from './progress-renderer';

/** What the controller says of a service: its current spec version and rolling-update state. */
export interface ServiceGoal {
  service: string;
  specVersion?: number;
  updateState?: string;
}

/**
 * Task rows name services `<stack>_<service>` (as `docker service ls` does); `wanted` uses the file's names.
 * With `goals`, a task counts only once it runs the service's current spec version (an update is done when
 * every replica was replaced), and a paused update is a failure.
 */
export function progressFromTasks(
  wanted: Record<string, number>,
  tasks: TaskRow[],
  stack?: string,
  goals: ServiceGoal[] = [],
): ServiceProgress[] {
  return Object.keys(wanted)
    .sort()
    .map((service) => {
      const desired = wanted[service]!;
      const names = new Set([service, `${stack}_${service}`]);
      const goal = goals.find((g) => names.has(g.service));
      if (goal?.updateState === 'paused') {
        return { service, phase: 'failed', message: 'rolling update paused (a new task failed)' };
      }
      const mine = tasks.filter(
        (t) =>
          names.has(t.service) &&
          t.desiredState === 'running' &&
          (t.specVersion ?? 0) >= (goal?.specVersion ?? 0),
      );
      // A health-checked task is ready once healthy, not when it merely runs (health 'starting').
      const running = mine.filter(
        (t) => t.state === 'running' && t.health !== 'starting' && t.health !== 'unhealthy',
      ).length;
      const failed = mine.find((t) => t.state === 'failed' || t.state === 'rejected');
      if (failed && running < desired) {
        return { service, phase: 'failed', message: failed.error ?? `task ${failed.task} ${failed.state}` };
      }
      const why = running < desired ? lastFailure(tasks, names, goal?.specVersion) : undefined;
      const percent = running === 0 ? pullPercent(mine) : undefined;
      if (percent !== undefined)
        return { service, phase: 'pulling', percent, ...(why ? { message: why } : {}) };
      return {
        service,
        phase: running < desired ? 'starting' : healthChecked(mine) ? 'healthy' : 'running',
        ready: Math.min(running, desired),
        desired,
        ...(why ? { message: why } : {}),
      };
    });
}

/**
 * Why a service still waits: the error of its newest failed or rejected task of the current spec version,
 * also one already replaced (desired shutdown), when the rows include those (`ps -a` rows).
 */
function lastFailure(tasks: TaskRow[], names: Set<string>, specVersion = 0): string | undefined {
  const failed = tasks.filter(
    (t) =>
      names.has(t.service) &&
      (t.state === 'failed' || t.state === 'rejected') &&
      (t.specVersion ?? 0) >= specVersion,
  );
  const last = failed[failed.length - 1];
  return last ? `last failure: ${last.error ?? `task ${last.task} ${last.state}`}` : undefined;
}

/**
 * How far the image pulls of these tasks are, in whole percent (rounded down: 100 only when every byte is in),
 * over all bytes of the tasks that report pull progress; undefined when none does.
 */
function pullPercent(tasks: TaskRow[]): number | undefined {
  const pulling = tasks.filter((t) => t.progress && t.progress.total > 0);
  if (pulling.length === 0) return undefined;
  const done = pulling.reduce((n, t) => n + Math.min(t.progress!.done, t.progress!.total), 0);
  const total = pulling.reduce((n, t) => n + t.progress!.total, 0);
  return Math.floor((done * 100) / total);
}

/** At goal with health checks: shown as `healthy n/n` rather than `running n/n`. */
function healthChecked(tasks: TaskRow[]): boolean {
  const running = tasks.filter((t) => t.state === 'running');
  return running.length > 0 && running.every((t) => t.health === 'healthy');
}

export function atGoal(p: ServiceProgress[]): boolean {
  return p.every((s) => s.phase === 'running' || s.phase === 'healthy');
}
