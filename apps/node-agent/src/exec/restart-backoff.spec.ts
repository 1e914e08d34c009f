// Restart policy + backoff decisions.
import { decideRestart } from './restart-backoff';

const policy = { condition: 'on-failure' as const, delayMs: 100, maxAttempts: 3, windowMs: 10_000 };

describe('decideRestart', () => {
  it('follows the condition', () => {
    expect(decideRestart({ ...policy, condition: 'none' }, { failed: true }, [], 0).restart).toBe(false);
    expect(decideRestart(policy, { failed: false }, [], 0).restart).toBe(false);
    expect(decideRestart({ ...policy, condition: 'any' }, { failed: false }, [], 0).restart).toBe(true);
  });
  it('backs off exponentially and caps', () => {
    expect(decideRestart(policy, { failed: true }, [], 0).delayMs).toBe(100);
    expect(decideRestart(policy, { failed: true }, [1], 2).delayMs).toBe(200);
    expect(decideRestart(policy, { failed: true }, [1, 2], 3).delayMs).toBe(400);
    expect(
      decideRestart({ ...policy, maxAttempts: 0 }, { failed: true }, Array(20).fill(1), 2, 1000).delayMs,
    ).toBe(1000);
  });
  it('gives up after max attempts within the window only', () => {
    expect(decideRestart(policy, { failed: true }, [1, 2, 3], 4).restart).toBe(false);
    expect(decideRestart(policy, { failed: true }, [1, 2, 3], 20_000).restart).toBe(true);
  });
});
