import type { TaskStatsSample } from '@tsstack/model';
import { StatsEventGate, statsMessage } from './stats-event-gate';

const sample = (taskId: string): TaskStatsSample => ({
  taskId, stack: 's', service: 'web', cpuPercent: 1.5, memoryUsageBytes: 2 * 1024 * 1024, pids: 3, netRxBytes: 2048, netTxBytes: 512, readAt: 0,
}); // prettier-ignore

describe('StatsEventGate', () => {
  it('turns samples into task.stats events with the sample as data', () => {
    const [e] = new StatsEventGate({ perTaskMs: 1000, perSecond: 10, burst: 10 }).admit(
      'n1',
      [sample('t1')],
      0,
    );
    expect(e).toMatchObject({ type: 'task.stats', stack: 's', service: 'web', task: 't1', node: 'n1' });
    expect(e!.data).toMatchObject({ memoryUsageBytes: 2 * 1024 * 1024, pids: 3, netRxBytes: 2048 });
    expect(e!.data).not.toHaveProperty('taskId');
  });

  it('admits one event per task per interval', () => {
    const g = new StatsEventGate({ perTaskMs: 1000, perSecond: 100, burst: 100 });
    expect(g.admit('n', [sample('a')], 0)).toHaveLength(1);
    expect(g.admit('n', [sample('a')], 999)).toHaveLength(0);
    expect(g.admit('n', [sample('a'), sample('b')], 1000)).toHaveLength(2);
    expect(g.dropped).toBe(1);
  });

  it('bounds the events per second across tasks (token bucket)', () => {
    const g = new StatsEventGate({ perTaskMs: 0, perSecond: 2, burst: 3 });
    const many = (n: number) => Array.from({ length: n }, (_, i) => sample(`t${i}`));
    expect(g.admit('n', many(10), 0)).toHaveLength(3);
    expect(g.admit('n', many(10), 500)).toHaveLength(1);
    expect(g.admit('n', many(10), 10_000)).toHaveLength(3);
  });

  it('writes a line people can read', () =>
    expect(statsMessage(sample('t'))).toBe('cpu 1.5%  mem 2.0MiB  pids 3  net rx 2.0KiB tx 0.5KiB'));
});
