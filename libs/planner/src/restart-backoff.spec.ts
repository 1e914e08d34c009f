// Unit tests of the pure restart decision and backoff.
import { DEFAULT_RESTART_POLICY as P } from '@tsstack/model';
import { BACKOFF_CAP_MS, decideRestart } from '../index';

describe('decideRestart', () => {
  it.each([
    [{ ...P, condition: 'none' as const }, 0, 1, 1, false],
    [{ ...P, condition: 'on-failure' as const }, 0, 1, 0, false],
    [{ ...P, condition: 'on-failure' as const }, 0, 1, 1, true],
    [{ ...P, maxAttempts: 3 }, 3, 1, 1, false],
    [{ ...P, maxAttempts: 3 }, 3, 60_000, 1, true],
  ])('policy %o attempts %i ran %i exit %i -> %s', (policy, attempts, ranForMs, exitCode, want) => {
    expect(decideRestart(policy, { attempts, ranForMs, exitCode }).restart).toBe(want);
  });
  it('doubles from the delay, caps, and resets after a stable run', () => {
    const d = (attempts: number, ranForMs = 0) => {
      const r = decideRestart({ ...P, delayMs: 1000 }, { attempts, ranForMs, exitCode: 1 });
      return r.restart ? r.delayMs : -1;
    };
    expect([d(0), d(1), d(2), d(3)]).toEqual([1000, 2000, 4000, 8000]);
    expect(d(40)).toBe(BACKOFF_CAP_MS);
    expect(d(5, 20_000)).toBe(1000);
  });
});
