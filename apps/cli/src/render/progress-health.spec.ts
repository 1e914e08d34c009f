// `up` progress of health-checked services: `healthy n/n` once every counted task passed its check.
import type { TaskRow } from '../client/api-types';
import { atGoal, progressFromTasks } from './progress-from-tasks';
import { progressLine, renderSummary } from './progress-renderer';

const t = (health: string, extra: Partial<TaskRow> = {}): TaskRow => ({
  service: 'app_web',
  task: `web-${health}-${Math.random()}`,
  state: 'running',
  desiredState: 'running',
  health,
  ...extra,
});

describe('progress of health-checked services', () => {
  it('is healthy n/n when every running task is healthy, and that is the goal', () => {
    const p = progressFromTasks({ web: 2 }, [t('healthy'), t('healthy')], 'app');
    expect(p.map(progressLine)).toEqual(['web: healthy 2/2']);
    expect(atGoal(p)).toBe(true);
  });

  it('stays running n/n for services without a health check', () => {
    const p = progressFromTasks({ web: 1 }, [t('none')], 'app');
    expect(p.map(progressLine)).toEqual(['web: running 1/1']);
  });

  it('is starting while a check has not passed yet', () => {
    const p = progressFromTasks({ web: 2 }, [t('healthy'), t('starting')], 'app');
    expect(p.map(progressLine)).toEqual(['web: starting 1/2']);
  });
});

describe('why a service still waits', () => {
  it('names the newest failure, also of a task already replaced, in the line and the summary', () => {
    const rows: TaskRow[] = [
      t('none', { state: 'rejected', desiredState: 'shutdown', error: 'exec /no/such: not found' }),
      t('none', { state: 'starting' }),
    ];
    const p = progressFromTasks({ web: 1 }, rows, 'app');
    expect(p.map(progressLine)).toEqual(['web: starting 0/1 (last failure: exec /no/such: not found)']);
    expect(renderSummary(p, 60_000)).toBe(
      '1 of 1 services did not reach their goal in 60.0s: web 0/1 (last failure: exec /no/such: not found)\n',
    );
  });

  it('says nothing of failures once the service reached its goal', () => {
    const rows: TaskRow[] = [t('none', { state: 'failed', desiredState: 'shutdown', error: 'x' }), t('none')];
    expect(progressFromTasks({ web: 1 }, rows, 'app').map(progressLine)).toEqual(['web: running 1/1']);
  });
});
