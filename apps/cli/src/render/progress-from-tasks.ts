// Pure: derives each service's progress (starting n/m, running, healthy, failed) from the task list the
// controller reports and the replica counts wanted. `up --wait` is done when every service is at its goal.
import type { TaskRow } from '../client/api-types';
import type { ServiceProgress } from './progress-renderer';

/** Task rows name services `<stack>_<service>` (as `docker service ls` does); `wanted` uses the file's names. */
export function progressFromTasks(
  wanted: Record<string, number>,
  tasks: TaskRow[],
  stack?: string,
): ServiceProgress[] {
  return Object.keys(wanted)
    .sort()
    .map((service) => {
      const desired = wanted[service]!;
      const names = new Set([service, `${stack}_${service}`]);
      const mine = tasks.filter((t) => names.has(t.service) && t.desiredState === 'running');
      // A health-checked task is ready once healthy, not when it merely runs (health 'starting').
      const running = mine.filter(
        (t) => t.state === 'running' && t.health !== 'starting' && t.health !== 'unhealthy',
      ).length;
      const failed = mine.find((t) => t.state === 'failed' || t.state === 'rejected');
      if (failed && running < desired) {
        return { service, phase: 'failed', message: failed.error ?? `task ${failed.task} ${failed.state}` };
      }
      return {
        service,
        phase: running >= desired ? 'running' : 'starting',
        ready: Math.min(running, desired),
        desired,
      };
    });
}

export function atGoal(p: ServiceProgress[]): boolean {
  return p.every((s) => s.phase === 'running' || s.phase === 'healthy');
}
