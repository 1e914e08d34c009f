// `up` progress while images are pulled: `pulling n%` from the task rows' pull progress, until a task runs.
import type { TaskRow } from '../client/api-types';
import { atGoal, progressFromTasks } from './progress-from-tasks';
import { progressLine } from './progress-renderer';

const row = (extra: Partial<TaskRow>): TaskRow => ({
  service: 'app_web',
  task: `web-${Math.random()}`,
  state: 'accepted',
  desiredState: 'running',
  health: 'none',
  specVersion: 2,
  ...extra,
});

const lines = (
  wanted: Record<string, number>,
  rows: TaskRow[],
  goals = [{ service: 'app_web', specVersion: 2 }],
) => progressFromTasks(wanted, rows, 'app', goals).map(progressLine);

describe('pulling n%', () => {
  it('shows the pull of a task that reports progress, rounded down', () => {
    expect(lines({ web: 1 }, [row({ progress: { done: 4399, total: 10_000 } })])).toEqual([
      'web: pulling 43%',
    ]);
  });

  it('sums the bytes of every pulling task of the service, and is not the goal', () => {
    const rows = [
      row({ progress: { done: 100, total: 1000 } }),
      row({ progress: { done: 900, total: 1000 } }),
      row({}),
    ];
    expect(lines({ web: 3 }, rows)).toEqual(['web: pulling 50%']);
    expect(atGoal(progressFromTasks({ web: 3 }, rows, 'app'))).toBe(false);
  });

  it('says starting once a task of the service runs, even while others still pull', () => {
    const rows = [row({ state: 'running' }), row({ progress: { done: 1, total: 2 } })];
    expect(lines({ web: 2 }, rows)).toEqual(['web: starting 1/2']);
  });

  it('ignores the progress of tasks of an older spec and of tasks told to stop', () => {
    const rows = [
      row({ specVersion: 1, progress: { done: 1, total: 2 } }),
      row({ desiredState: 'shutdown', progress: { done: 1, total: 2 } }),
      row({}),
    ];
    expect(lines({ web: 1 }, rows)).toEqual(['web: starting 0/1']);
  });

  it('keeps failing a service whose task was rejected', () => {
    const rows = [
      row({ state: 'rejected', error: 'image x: not found' }),
      row({ progress: { done: 1, total: 2 } }),
    ];
    expect(lines({ web: 1 }, rows)).toEqual(['web: failed: image x: not found']);
  });
});
