// Health state machine tests: CMD / CMD-SHELL / NONE, retries, start_period, start_interval.
import type { HealthcheckSpec } from '@tsstack/model';
import { applyProbe, initialHealth, nextProbeDelay, probeCommand, probeTimeout } from './health-machine';

const spec = (over: Partial<HealthcheckSpec> = {}): HealthcheckSpec => ({
  test: ['CMD', 'true'],
  intervalMs: 1000,
  timeoutMs: 500,
  retries: 2,
  startPeriodMs: 0,
  startIntervalMs: 0,
  ...over,
});

describe('health machine', () => {
  it('builds probe argv for CMD, CMD-SHELL, NONE', () => {
    expect(probeCommand(spec({ test: ['CMD', 'wget', '-q', 'x'] }))).toEqual(['wget', '-q', 'x']);
    expect(probeCommand(spec({ test: ['CMD-SHELL', 'test -f /ok'] }))).toEqual([
      '/bin/sh',
      '-c',
      'test -f /ok',
    ]);
    expect(probeCommand(spec({ test: ['NONE'] }))).toBeUndefined();
    expect(probeCommand(undefined)).toBeUndefined();
    expect(initialHealth(spec({ test: ['NONE'] })).status).toBe('none');
    expect(initialHealth(spec()).status).toBe('starting');
  });
  it('becomes unhealthy only after `retries` consecutive failures; a success resets', () => {
    const s = spec();
    let h = initialHealth(s);
    h = applyProbe(s, h, { exitCode: 1, output: 'no', sinceStartMs: 10 });
    expect(h).toMatchObject({ status: 'starting', failingStreak: 1 });
    h = applyProbe(s, h, { exitCode: 0, output: 'ok', sinceStartMs: 20 });
    expect(h).toMatchObject({ status: 'healthy', failingStreak: 0 });
    h = applyProbe(s, h, { exitCode: 1, output: 'no', sinceStartMs: 30 });
    expect(h.status).toBe('healthy');
    h = applyProbe(s, h, { exitCode: -1, output: 'timeout', sinceStartMs: 40 });
    expect(h).toMatchObject({ status: 'unhealthy', failingStreak: 2, lastOutput: 'timeout' });
  });
  it('ignores failures during start_period while starting', () => {
    const s = spec({ startPeriodMs: 5000 });
    let h = initialHealth(s);
    for (let i = 0; i < 5; i++) h = applyProbe(s, h, { exitCode: 1, output: '', sinceStartMs: i * 100 });
    expect(h).toMatchObject({ status: 'starting', failingStreak: 0 });
    h = applyProbe(s, h, { exitCode: 1, output: '', sinceStartMs: 6000 });
    h = applyProbe(s, h, { exitCode: 1, output: '', sinceStartMs: 7000 });
    expect(h.status).toBe('unhealthy');
  });
  it('uses start_interval during the start period, interval after', () => {
    const s = spec({ startPeriodMs: 5000, startIntervalMs: 100 });
    const h = initialHealth(s);
    expect(nextProbeDelay(s, h, 10)).toBe(100);
    expect(nextProbeDelay(s, h, 6000)).toBe(1000);
    expect(nextProbeDelay(s, { status: 'healthy', failingStreak: 0 }, 10)).toBe(1000);
    expect(probeTimeout(spec({ timeoutMs: 0 }))).toBe(30000);
  });
});
