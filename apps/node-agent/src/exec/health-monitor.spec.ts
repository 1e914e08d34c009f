// Health monitor driver with a scripted probe: healthy, then failing -> unhealthy after retries; timeouts
// count as failures; NONE never probes.
import type { HealthcheckSpec } from '@tsstack/model';
import { startHealthMonitor, type ProbeExec } from './health-monitor';

const spec: HealthcheckSpec = {
  test: ['CMD-SHELL', 'check'],
  intervalMs: 20,
  timeoutMs: 50,
  retries: 2,
  startPeriodMs: 0,
  startIntervalMs: 0,
};

const until = async (cond: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('startHealthMonitor', () => {
  it('goes healthy, then unhealthy after `retries` failures (a hung probe times out)', async () => {
    const script = [0, 1, 'hang'] as const;
    let i = 0;
    const calls: string[][] = [];
    const exec: ProbeExec = (argv) => {
      calls.push(argv);
      const step = script[Math.min(i++, script.length - 1)];
      if (step === 'hang') return new Promise(() => undefined);
      return Promise.resolve({ exitCode: step, output: `r${step}` });
    };
    const seen: string[] = [];
    const m = startHealthMonitor(spec, exec, (s) => seen.push(s.status));
    try {
      await until(() => seen.includes('unhealthy'));
      expect(seen).toEqual(['healthy', 'unhealthy']);
      expect(calls[0]).toEqual(['/bin/sh', '-c', 'check']);
      expect(m.state.lastOutput).toMatch(/timed out/);
    } finally {
      m.stop();
    }
  });
  it('NONE never probes and reports none', async () => {
    let called = false;
    const m = startHealthMonitor(
      { ...spec, test: ['NONE'] },
      async () => {
        called = true;
        return { exitCode: 0, output: '' };
      },
      () => undefined,
    );
    await new Promise((r) => setTimeout(r, 60));
    m.stop();
    expect(called).toBe(false);
    expect(m.state.status).toBe('none');
  });
});
