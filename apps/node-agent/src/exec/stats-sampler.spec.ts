import { cpuPercent, StatsSampler, type RawTaskReading } from './stats-sampler';
import { parseNetDev } from '../drivers/net-counters';

const reading = (taskId: string, cpuUsageNs: number, readAt: number): RawTaskReading => ({
  taskId, stack: 's', service: 'web', cpuUsageNs, memoryUsageBytes: 4096, pids: 2, netRxBytes: 10, netTxBytes: 20, readAt,
}); // prettier-ignore

describe('cpuPercent', () => {
  it.each([
    ['no previous reading', undefined, 0, undefined],
    ['half a CPU over one second', { cpuUsageNs: 0, readAt: 0 }, 5e8, 50],
    ['two CPUs busy', { cpuUsageNs: 0, readAt: 0 }, 2e9, 200],
    ['a counter that went back (new container)', { cpuUsageNs: 5e9, readAt: 0 }, 1e9, undefined],
  ])('%s', (_name, prev, used, want) =>
    expect(cpuPercent(prev, { cpuUsageNs: used, readAt: 1000 })).toBe(want),
  );
  it('is undefined when no time passed', () =>
    expect(cpuPercent({ cpuUsageNs: 0, readAt: 5 }, { cpuUsageNs: 9, readAt: 5 })).toBeUndefined());
});

describe('StatsSampler', () => {
  it('gives cpu % from the second reading of a task on, and forgets tasks no longer read', () => {
    const s = new StatsSampler();
    const first = s.sample([reading('a', 0, 0)]);
    expect(first[0]).not.toHaveProperty('cpuPercent');
    expect(first[0]).toMatchObject({
      taskId: 'a',
      memoryUsageBytes: 4096,
      pids: 2,
      netRxBytes: 10,
      netTxBytes: 20,
    });
    expect(s.sample([reading('a', 1e9, 10_000)])[0]!.cpuPercent).toBe(10);
    s.sample([reading('b', 0, 20_000)]);
    expect(s.sample([reading('a', 2e9, 30_000)])[0]).not.toHaveProperty('cpuPercent');
  });
});

describe('parseNetDev', () => {
  it('sums every interface but loopback', () => {
    const text = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     500       5    0    0    0     0          0         0      500       5    0    0    0     0       0          0
  eth0:    1000      10    0    0    0     0          0         0     2000      20    0    0    0     0       0          0
  eth1:      30       1    0    0    0     0          0         0        4       1    0    0    0     0       0          0
`;
    expect(parseNetDev(text)).toEqual({ rxBytes: 1030, txBytes: 2004 });
  });
  it('is zero for a namespace with only loopback', () =>
    expect(parseNetDev('h1\nh2\n    lo: 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n')).toEqual({
      rxBytes: 0,
      txBytes: 0,
    }));
});
