// The executor's interim reports while a task prepares: pull progress with the step's own state, throttled,
// the last one complete, then the state step itself without progress.
import { TaskState, type Task, type TaskStatus } from '@tsstack/model';
import { runTask, type TaskController } from './task-executor';
import type { PullProgress } from './pull-progress';
import { taskIn } from './testing/task-fixture';

const task = (): Task => taskIn(TaskState.Accepted, TaskState.Ready, 'accepted');

function controller(pull: (onProgress: (p: PullProgress) => void) => void, fail = false): TaskController {
  const nothing = async () => undefined;
  return {
    prepare: async (onProgress) => {
      if (onProgress) pull(onProgress);
      if (fail) throw new Error('registry down');
    },
    start: async () => ({ containerId: 'c', pid: 1 }),
    wait: async () => ({ exitCode: 0 }),
    shutdown: nothing,
    terminate: nothing,
    remove: nothing,
  };
}

describe('pull progress while preparing', () => {
  it('reports progress in the accepted state, the last complete, then preparing without it', async () => {
    const seen: TaskStatus[] = [];
    const ctl = controller((on) => {
      on({ done: 0, total: 100 });
      on({ done: 200, total: 200 }); // every known blob in, pull not over: not reported as such
    });
    const last = await runTask(task(), ctl, (s) => seen.push(s));
    expect(seen.map((s) => [TaskState[s.state], s.progress])).toEqual([
      ['Accepted', { done: 0, total: 100 }],
      ['Accepted', { done: 200, total: 200 }],
      ['Preparing', undefined],
      ['Ready', undefined],
    ]);
    expect(last.state).toBe(TaskState.Ready);
  });

  it('reports no completion for a failed pull: the task is rejected', async () => {
    const seen: TaskStatus[] = [];
    const ctl = controller((on) => on({ done: 5, total: 100 }), true);
    const last = await runTask(task(), ctl, (s) => seen.push(s));
    expect(seen.map((s) => [TaskState[s.state], s.progress])).toEqual([
      ['Accepted', { done: 5, total: 100 }],
      ['Rejected', undefined],
    ]);
    expect(last.error).toBe('registry down');
  });
});
