// Health check driver: runs the probe (exec inside the container, through an injected exec function) on the
// schedule the pure health machine gives, with a timeout, and reports every status change.
import type { HealthcheckSpec } from '@tsstack/model';
import {
  applyProbe,
  initialHealth,
  nextProbeDelay,
  probeCommand,
  probeTimeout,
  type HealthState,
} from './health-machine';

export type ProbeExec = (argv: string[], timeoutMs: number) => Promise<{ exitCode: number; output: string }>;

export interface HealthMonitor {
  readonly state: HealthState;
  stop(): void;
}

export function startHealthMonitor(
  spec: HealthcheckSpec | undefined,
  exec: ProbeExec,
  onChange: (s: HealthState) => void,
  startedAt: number = Date.now(),
): HealthMonitor {
  let state = initialHealth(spec);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const argv = probeCommand(spec);
  const monitor: HealthMonitor = {
    get state() {
      return state;
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
  if (!spec || !argv) return monitor;

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void probe(), nextProbeDelay(spec, state, Date.now() - startedAt));
  };
  const probe = async () => {
    const began = Date.now();
    const timeout = probeTimeout(spec);
    let result: { exitCode: number; output: string };
    try {
      result = await Promise.race([
        exec(argv, timeout),
        new Promise<{ exitCode: number; output: string }>((r) =>
          setTimeout(
            () => r({ exitCode: -1, output: `health check timed out after ${timeout}ms` }),
            timeout,
          ).unref(),
        ),
      ]);
    } catch (err) {
      result = { exitCode: -1, output: `health check could not run: ${(err as Error).message}` };
    }
    if (stopped) return;
    const before = state.status;
    state = applyProbe(spec, state, { ...result, sinceStartMs: began - startedAt });
    if (state.status !== before) onChange(state);
    schedule();
  };
  schedule();
  return monitor;
}
