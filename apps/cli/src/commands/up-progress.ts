// Live progress of `tsstack up`: follows the stack's event stream and, when events come (at most every 150 ms;
// every second without them, or when the stream is not there), reads the stack's tasks and services and redraws
// one line per service. Returns once every service reached its goal (true) or one failed / the timeout passed
// (false, with a summary).
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

/** Resolves the wait of the progress loop when an event of the stack arrives. */
export function eventWaker(client: Pick<ApiClient, 'events'>, stack: string) {
  const abort = new AbortController();
  let wake: (() => void) | undefined;
  let pending = false;
  client.events({ stack }, () => (wake ? wake() : (pending = true)), abort.signal).catch(() => undefined); // no stream: the loop still reads every second
  return {
    /** Waits for an event (or one seen since the last wait) but at least `minMs` and at most `maxMs`. */
    async next(minMs: number, maxMs: number): Promise<void> {
      const floor = new Promise((r) => setTimeout(r, minMs));
      if (!pending)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, maxMs);
          function done() {
            clearTimeout(timer);
            wake = undefined;
            resolve();
          }
          wake = done;
        });
      pending = false;
      await floor;
    },
    close: () => abort.abort(),
  };
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
  const events = eventWaker(client, spec.name);
  try {
    return await follow();
  } finally {
    events.close();
  }

  async function follow(): Promise<boolean> {
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
      await events.next(150, 1000);
    }
  }
}
