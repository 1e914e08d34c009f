// Pure health check state machine (Compose/Docker semantics): CMD, CMD-SHELL, NONE; interval, timeout,
// retries, start_period, start_interval. The driver execs the probe in the container and feeds results here.
import type { HealthStatus, HealthcheckSpec } from '@tsstack/model';

export interface HealthState {
  status: HealthStatus;
  failingStreak: number;
  lastOutput?: string;
}

export interface ProbeResult {
  exitCode: number; // 0 healthy, anything else failing; -1 = timed out
  output: string;
  /** ms since the container started, when the probe began. */
  sinceStartMs: number;
}

/** The argv to exec for a probe, or undefined when health checks are disabled. */
export function probeCommand(spec: HealthcheckSpec | undefined): string[] | undefined {
  if (!spec || spec.test.length === 0) return undefined;
  const [kind, ...rest] = spec.test;
  if (kind === 'NONE') return undefined;
  if (kind === 'CMD') return rest.length ? rest : undefined;
  if (kind === 'CMD-SHELL') return rest.length ? ['/bin/sh', '-c', rest.join(' ')] : undefined;
  // Compose also allows a bare string test, treated as CMD-SHELL.
  return ['/bin/sh', '-c', spec.test.join(' ')];
}

export function initialHealth(spec: HealthcheckSpec | undefined): HealthState {
  return { status: probeCommand(spec) ? 'starting' : 'none', failingStreak: 0 };
}

/** Apply one probe result. Failures inside start_period do not count (unless a probe already succeeded). */
export function applyProbe(spec: HealthcheckSpec, state: HealthState, r: ProbeResult): HealthState {
  const output = r.output.length > 4096 ? r.output.slice(0, 4096) : r.output;
  if (r.exitCode === 0) return { status: 'healthy', failingStreak: 0, lastOutput: output };
  const inStartPeriod = state.status === 'starting' && r.sinceStartMs < spec.startPeriodMs;
  if (inStartPeriod) return { ...state, lastOutput: output };
  const streak = state.failingStreak + 1;
  const retries = spec.retries > 0 ? spec.retries : 3;
  return {
    status: streak >= retries ? 'unhealthy' : state.status,
    failingStreak: streak,
    lastOutput: output,
  };
}

/** Delay before the next probe: start_interval while in the start period and still starting, else interval. */
export function nextProbeDelay(spec: HealthcheckSpec, state: HealthState, sinceStartMs: number): number {
  const interval = spec.intervalMs > 0 ? spec.intervalMs : 30_000;
  if (state.status === 'starting' && sinceStartMs < spec.startPeriodMs && spec.startIntervalMs > 0) {
    return spec.startIntervalMs;
  }
  return interval;
}

export function probeTimeout(spec: HealthcheckSpec): number {
  return spec.timeoutMs > 0 ? spec.timeoutMs : 30_000;
}
