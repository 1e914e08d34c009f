// Pure rate bound on task.stats events, so periodic stats never flood the capped event stream (and push real
// state changes out of it): a task gets at most one event per `perTaskMs`, and this controller writes at most
// `perSecond` stats events per second on average (a token bucket holding `burst`). Samples over either bound
// are dropped: stats are a sample of now, the next round brings a fresh one.
import type { EventInput, TaskStatsSample } from '@tsstack/model';

export interface StatsGateLimits {
  perTaskMs: number;
  perSecond: number;
  burst: number;
}

/**
 * 8 s per task: a little under the agents' default 10 s interval, so timer jitter never halves the rate, while an
 * agent set to sample faster still gets one event per task per 8 s. 20/s with a burst of 200 (one round of 200
 * tasks): with the default 100 000-entry stream, stats alone take over an hour to cycle it.
 */
export const DEFAULT_STATS_LIMITS: StatsGateLimits = { perTaskMs: 8_000, perSecond: 20, burst: 200 };

const MIB = 1024 * 1024;

/** `cpu 1.5%  mem 3.2MiB / 64.0MiB  pids 2  net rx 1.0KiB tx 0.5KiB` for people reading `tsstack events`. */
export function statsMessage(s: TaskStatsSample): string {
  const size = (b: number) => (b >= MIB ? `${(b / MIB).toFixed(1)}MiB` : `${(b / 1024).toFixed(1)}KiB`);
  const cpu = s.cpuPercent === undefined ? '-' : `${s.cpuPercent}%`;
  const limit = s.memoryLimitBytes === undefined ? '' : ` / ${size(s.memoryLimitBytes)}`;
  return `cpu ${cpu}  mem ${size(s.memoryUsageBytes)}${limit}  pids ${s.pids}  net rx ${size(s.netRxBytes)} tx ${size(s.netTxBytes)}`; // prettier-ignore
}

export class StatsEventGate {
  private readonly lastByTask = new Map<string, number>();
  private tokens: number;
  private refilledAt: number;
  dropped = 0;

  constructor(
    private readonly limits: StatsGateLimits = DEFAULT_STATS_LIMITS,
    now = 0,
  ) {
    this.tokens = limits.burst;
    this.refilledAt = now;
  }

  /** The events to append for these samples of `nodeId` at `now`; the rest is dropped (and counted). */
  admit(nodeId: string, samples: TaskStatsSample[], now: number): EventInput[] {
    this.tokens = Math.min(this.limits.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.limits.perSecond); // prettier-ignore
    this.refilledAt = now;
    const out: EventInput[] = [];
    for (const s of samples) {
      const last = this.lastByTask.get(s.taskId);
      if ((last !== undefined && now - last < this.limits.perTaskMs) || this.tokens < 1) {
        this.dropped++;
        continue;
      }
      this.tokens -= 1;
      this.lastByTask.set(s.taskId, now);
      const { taskId, stack, service, ...data } = s;
      out.push({ type: 'task.stats', stack, service, task: taskId, node: nodeId, time: now, message: statsMessage(s), data }); // prettier-ignore
    }
    // Forget tasks not heard of for long, so the map does not grow with every task that ever ran.
    if (this.lastByTask.size > 10_000)
      for (const [id, t] of this.lastByTask)
        if (now - t > this.limits.perTaskMs * 6) this.lastByTask.delete(id);
    return out;
  }
}
