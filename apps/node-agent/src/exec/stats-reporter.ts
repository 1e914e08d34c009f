// Periodic task stats: every interval, one reading per running container of an assigned task (cgroup counters
// from the runtime, bytes from its network namespace), sent to the controller in one message. A reading that
// fails (the container just exited) is skipped, never fatal.
import type { Task, TaskStatsSample } from '@tsstack/model';
import type { ContainerRuntimePort } from '../ports';
import type { NetCounters } from '../drivers/net-counters';
import { TASK_ID_LABEL } from './assignment-reconcile';
import { StatsSampler, type RawTaskReading } from './stats-sampler';

export const DEFAULT_STATS_INTERVAL_MS = 10_000;

export interface StatsReporterDeps {
  intervalMs: number;
  runtime: ContainerRuntimePort;
  /** The tasks currently assigned to this node. */
  tasks(): Task[];
  readNet(pid: number): Promise<NetCounters | undefined>;
  send(samples: TaskStatsSample[]): void;
  log?(msg: string): void;
}

export interface StatsReporter {
  stop(): void;
}

async function readAll(d: StatsReporterDeps): Promise<RawTaskReading[]> {
  const stats = d.runtime.stats;
  if (!stats) return [];
  const assigned = new Map(d.tasks().map((t) => [t.id, t]));
  const out: RawTaskReading[] = [];
  for (const c of await d.runtime.list()) {
    const task = assigned.get(c.labels[TASK_ID_LABEL] ?? '');
    if (!task || !c.running || !c.pid) continue;
    const s = await stats(c.id).catch(() => undefined);
    if (!s) continue;
    const net = (await d.readNet(c.pid)) ?? { rxBytes: 0, txBytes: 0 };
    out.push({
      taskId: task.id,
      stack: task.stack,
      service: task.service,
      cpuUsageNs: s.cpuUsageNs,
      memoryUsageBytes: s.memoryUsageBytes,
      memoryLimitBytes: s.memoryLimitBytes,
      pids: s.pids,
      netRxBytes: net.rxBytes,
      netTxBytes: net.txBytes,
      readAt: s.readAt,
    });
  }
  return out;
}

/** Starts sampling; `intervalMs` <= 0 turns it off. */
export function startStatsReporter(d: StatsReporterDeps): StatsReporter {
  if (d.intervalMs <= 0 || !d.runtime.stats) return { stop: () => undefined };
  const sampler = new StatsSampler();
  let busy = false;
  const tick = async () => {
    if (busy) return; // a slow round (many containers) is not stacked on by the next
    busy = true;
    try {
      const samples = sampler.sample(await readAll(d));
      if (samples.length) d.send(samples);
    } catch (err) {
      d.log?.(`stats: ${(err as Error).message}`);
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), d.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
