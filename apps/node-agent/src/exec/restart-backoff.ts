// Pure restart decision for a finished task: the deploy restart policy (condition, delay, max attempts in a
// window) plus an exponential backoff for crash loops, capped. The controller creates the replacement task;
// the agent uses this to delay and report why.
import type { RestartPolicy } from '@tsstack/model';

export interface RestartDecision {
  restart: boolean;
  delayMs: number;
  reason: string;
}

/** `attempts` are the ms timestamps of earlier restarts of the same slot. */
export function decideRestart(
  policy: RestartPolicy,
  exit: { failed: boolean },
  attempts: number[],
  now: number,
  maxDelayMs = 60_000,
): RestartDecision {
  if (policy.condition === 'none') return { restart: false, delayMs: 0, reason: 'restart policy none' };
  if (policy.condition === 'on-failure' && !exit.failed) {
    return { restart: false, delayMs: 0, reason: 'exited 0 with restart policy on-failure' };
  }
  const inWindow = policy.windowMs > 0 ? attempts.filter((t) => now - t <= policy.windowMs) : attempts;
  if (policy.maxAttempts > 0 && inWindow.length >= policy.maxAttempts) {
    return { restart: false, delayMs: 0, reason: `gave up after ${inWindow.length} restarts` };
  }
  const base = Math.max(policy.delayMs, 0);
  const delayMs = Math.min(base * 2 ** Math.min(inWindow.length, 16), Math.max(maxDelayMs, base));
  return { restart: true, delayMs, reason: `restart ${inWindow.length + 1} after ${delayMs}ms` };
}
