import type { RestartPolicy, TaskRow } from '@tsstack/model';
import { serviceEnd, serviceEnds, stackEnd, type ServiceEndInput } from './up-stack-end';

const policy = (condition: RestartPolicy['condition'], maxAttempts = 0): RestartPolicy => ({
  condition,
  maxAttempts,
  delayMs: 0,
  windowMs: 0,
});
const input = (condition: RestartPolicy['condition'], maxAttempts = 0, replicas = 1): ServiceEndInput => ({
  replicas,
  restartPolicy: policy(condition, maxAttempts),
});
const row = (state: string, o: Partial<TaskRow> = {}): TaskRow => ({
  service: 's_job',
  task: `t-${state}`,
  state,
  desiredState: 'running',
  ...o,
});

describe('serviceEnd', () => {
  it.each([
    ['a running task', input('none'), [row('running')], 'active'],
    ['a task still preparing', input('none'), [row('preparing')], 'active'],
    ['no task yet while replicas are wanted', input('none'), [], 'active'],
    ['no replicas wanted', input('any', 0, 0), [], 'ended'],
    ['completed, restart none', input('none'), [row('complete', { exitCode: 0 })], 'ended'],
    ['failed, restart none', input('none'), [row('failed', { exitCode: 3 })], 'ended'],
    ['rejected, restart none', input('none'), [row('rejected')], 'ended'],
    ['completed, on-failure', input('on-failure'), [row('complete', { exitCode: 0 })], 'ended'],
    ['failed, on-failure without limit', input('on-failure'), [row('failed', { exitCode: 1 })], 'active'],
    [
      'failed, on-failure:3',
      input('on-failure', 3),
      [row('failed', { exitCode: 1 })],
      'ended-unless-restarted',
    ],
    ['completed, any', input('any'), [row('complete', { exitCode: 0 })], 'active'],
    ['completed, any with max_attempts', input('any', 2), [row('complete')], 'ended-unless-restarted'],
    ['one ended, one running', input('none', 0, 2), [row('complete'), row('running')], 'active'],
  ])('%s: %s', (_what, i, rows, expected) => {
    expect(serviceEnd(i, rows)).toBe(expected);
  });
});

describe('stackEnd', () => {
  const services = { job: input('none'), web: input('none') };

  it('is not ended while one service runs', () => {
    const rows = [row('complete'), row('running', { service: 's_web' })];
    expect(stackEnd(services, 's', rows)).toEqual({ ended: false, settled: false, exitCode: 0 });
  });

  it('ended with 0 when every task completed with exit code 0', () => {
    const rows = [row('complete', { exitCode: 0 }), row('complete', { service: 's_web' })];
    expect(stackEnd(services, 's', rows)).toEqual({ ended: true, settled: true, exitCode: 0 });
  });

  it('ended with 1 when a task failed', () => {
    const rows = [row('failed', { exitCode: 2 }), row('complete', { service: 's_web' })];
    expect(stackEnd(services, 's', rows)).toMatchObject({ ended: true, exitCode: 1 });
  });

  it('ignores tasks the controller no longer wants (replaced, scaled down)', () => {
    const rows = [
      row('running', { desiredState: 'shutdown' }),
      row('failed', { desiredState: 'shutdown', exitCode: 1 }),
      row('complete'),
      row('complete', { service: 's_web' }),
    ];
    expect(stackEnd(services, 's', rows)).toEqual({ ended: true, settled: true, exitCode: 0 });
  });

  it('is not settled while a restart within max_attempts may still come', () => {
    const rows = [row('failed', { exitCode: 1 })];
    expect(stackEnd({ job: input('on-failure', 3) }, 's', rows)).toEqual({
      ended: true,
      settled: false,
      exitCode: 1,
    });
  });

  it('matches rows by the stack file name or <stack>_<service>', () => {
    expect(serviceEnds({ job: input('none') }, 's', [row('complete', { service: 'job' })])).toEqual({
      job: 'ended',
    });
  });
});
