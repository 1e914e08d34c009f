// Pure: turns raw per-container readings into the TaskStatsSample the agent reports. CPU % needs two readings,
// so the sampler keeps each task's previous one (and forgets tasks that stopped being sampled).
import type { TaskStatsSample } from '@tsstack/model';

/** One reading of a task's container: cgroup counters plus its network namespace's byte counters. */
export interface RawTaskReading extends Omit<TaskStatsSample, 'cpuPercent'> {
  cpuUsageNs: number;
}

/** Percent of one CPU between two readings; undefined when time did not move or the counter went back. */
export function cpuPercent(
  prev: Pick<RawTaskReading, 'cpuUsageNs' | 'readAt'> | undefined,
  cur: Pick<RawTaskReading, 'cpuUsageNs' | 'readAt'>,
): number | undefined {
  if (!prev) return undefined;
  const wallNs = (cur.readAt - prev.readAt) * 1e6;
  const used = cur.cpuUsageNs - prev.cpuUsageNs;
  if (wallNs <= 0 || used < 0) return undefined;
  return Math.round((used / wallNs) * 10_000) / 100;
}

export class StatsSampler {
  private readonly previous = new Map<string, RawTaskReading>();

  /** Samples for this round; readings of tasks absent from it are forgotten. */
  sample(readings: RawTaskReading[]): TaskStatsSample[] {
    const out = readings.map((r) => {
      const pct = cpuPercent(this.previous.get(r.taskId), r);
      return {
        taskId: r.taskId,
        stack: r.stack,
        service: r.service,
        ...(pct !== undefined ? { cpuPercent: pct } : {}),
        memoryUsageBytes: r.memoryUsageBytes,
        ...(r.memoryLimitBytes !== undefined ? { memoryLimitBytes: r.memoryLimitBytes } : {}),
        pids: r.pids,
        netRxBytes: r.netRxBytes,
        netTxBytes: r.netTxBytes,
        readAt: r.readAt,
      };
    });
    this.previous.clear();
    for (const r of readings) this.previous.set(r.taskId, r);
    return out;
  }
}
