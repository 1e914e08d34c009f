// Live progress of `tsstack up`: polls the stack's tasks and services, redraws one line per service, and
// returns once every service reached its goal (true) or one failed / the timeout passed (false, with a summary).
import type { StackSpec, TaskRow } from '@tsstack/model';
import type { ApiClient } from '../client/api-client';
import { ProgressRenderer, renderSummary, type ServiceProgress } from '../render/progress-renderer';
import { atGoal, progressFromTasks, type ServiceGoal } from '../render/progress-from-tasks';

export interface FollowOptions {
  /** Attached `up`: services whose tasks all ended for good (one-shots) count as done, not as failed. */
  endedServices?: (rows: TaskRow[]) => Set<string>;
  /** Stop following, without a summary (Ctrl-C of an attached `up`). */
  cancelled?: () => boolean;
}

/**
 * A service whose tasks all ended for good reached the only goal it has: shown as done ("running n/n
 * (exited)"); a failure among them is the attached `up`'s exit code, not a deploy failure.
 */
function markEnded(p: ServiceProgress, ended: Set<string>, desired: number): ServiceProgress {
  if (!ended.has(p.service)) return p;
  const message = p.phase === 'failed' ? 'exited, failed' : 'exited';
  return { service: p.service, phase: 'running', ready: desired, desired, message };
}

export async function followProgress(
  client: ApiClient,
  spec: StackSpec,
  timeoutMs: number,
  o: FollowOptions = {},
): Promise<boolean> {
  const wanted = Object.fromEntries(Object.entries(spec.services).map(([n, s]) => [n, s.deploy.replicas]));
  const renderer = new ProgressRenderer(Boolean(process.stdout.isTTY));
  const started = Date.now();
  for (;;) {
    if (o.cancelled?.()) return false;
    const [tasks, goals] = await Promise.all([
      client.listTasks({ stack: spec.name }),
      client.listServices(spec.name) as Promise<ServiceGoal[]>,
    ]);
    const ended = o.endedServices?.(tasks) ?? new Set<string>();
    const progress = progressFromTasks(wanted, tasks, spec.name, goals).map((p) =>
      markEnded(p, ended, wanted[p.service] ?? 0),
    );
    if (o.cancelled?.()) return false;
    for (const p of progress) process.stdout.write(renderer.update(p));
    const done = atGoal(progress);
    const failed = progress.some((p) => p.phase === 'failed');
    if (done || failed || Date.now() - started > timeoutMs) {
      process.stdout.write(renderSummary(progress, Date.now() - started));
      return done;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
}
