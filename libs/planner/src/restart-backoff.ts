// Pure restart decision: Swarm restart_policy (condition, delay, max_attempts, window) plus exponential
// backoff: the first restart waits `delayMs` (default 5 s, or 100 ms when delay is 0), doubling per
// consecutive failure, capped at 5 min; the count resets after a task ran stably for 10 s.
import type { RestartPolicy } from '@tsstack/model';

export const BACKOFF_MIN_MS = 100;
export const BACKOFF_CAP_MS = 300_000;
export const STABLE_RUN_MS = 10_000;

export interface RestartHistory {
  /** Consecutive failed starts so far (restart attempts within the window). */
  attempts: number;
  /** How long the task that just ended had been running. */
  ranForMs: number;
  exitCode: number;
}

export type RestartDecision =
  { restart: false; reason: string } | { restart: true; delayMs: number; attempt: number };

export function decideRestart(policy: RestartPolicy, h: RestartHistory): RestartDecision {
  if (policy.condition === 'none') return { restart: false, reason: 'restart condition is none' };
  if (policy.condition === 'on-failure' && h.exitCode === 0) {
    return { restart: false, reason: 'exited 0 and condition is on-failure' };
  }
  const attempts = h.ranForMs >= STABLE_RUN_MS ? 0 : h.attempts;
  if (policy.maxAttempts > 0 && attempts >= policy.maxAttempts) {
    return { restart: false, reason: `max_attempts ${policy.maxAttempts} reached` };
  }
  const base = Math.max(policy.delayMs, BACKOFF_MIN_MS);
  const delayMs = Math.min(base * 2 ** Math.min(attempts, 30), Math.max(BACKOFF_CAP_MS, base));
  return { restart: true, delayMs, attempt: attempts + 1 };
}
