// Unit tests of what goes into a node's assignment set.
import { TaskState, type Task } from '@tsstack/model';
import { assignmentTasks, forceHash } from '../index';

const t = (id: string, over: Partial<Task>, state = TaskState.Running, grace = 10_000): Task =>
  ({
    id,
    nodeId: 'n1',
    desiredState: TaskState.Running,
    updatedAt: 0,
    spec: { stopGracePeriodMs: grace },
    status: { state, message: '', health: 'none', timestamp: 0 },
    ...over,
  }) as unknown as Task;

describe('assignmentTasks', () => {
  it.each([
    ['running, wanted', t('a', {}), 1_000, true],
    ['pending (not placed yet)', t('a', {}, TaskState.Pending), 1_000, false],
    ['other node', t('a', { nodeId: 'n2' }), 1_000, false],
    ['stopping, within grace', t('a', { desiredState: TaskState.Shutdown }), 15_000, true],
    ['stopping, grace over', t('a', { desiredState: TaskState.Shutdown }), 31_000, false],
    [
      'stopping, long stop_grace_period',
      t('a', { desiredState: TaskState.Shutdown }, TaskState.Running, 60_000),
      45_000,
      true,
    ],
    ['stopped', t('a', { desiredState: TaskState.Shutdown }, TaskState.Shutdown), 1_000, false],
    ['failed but still wanted (no restart)', t('a', {}, TaskState.Failed), 1_000, true],
  ])('%s', (_n, task, now, listed) => {
    expect(assignmentTasks([task], 'n1', now, 30_000).length === 1).toBe(listed);
  });

  it('a task told to stop stays desired running for its own agent while its endpoint drains', () => {
    const stopping = t('a', { desiredState: TaskState.Shutdown, updatedAt: 5_000 });
    expect(assignmentTasks([stopping], 'n1', 5_500, 30_000, 1_000)[0]!.desiredState).toBe(TaskState.Running);
    expect(assignmentTasks([stopping], 'n1', 6_000, 30_000, 1_000)[0]!.desiredState).toBe(TaskState.Shutdown);
    // Never ran: nothing to drain.
    const assigned = t('b', { desiredState: TaskState.Remove, updatedAt: 5_000 }, TaskState.Assigned);
    expect(assignmentTasks([assigned], 'n1', 5_500, 30_000, 1_000)[0]!.desiredState).toBe(TaskState.Remove);
  });

  it('no drain for a task no other node routes to: its agent un-serves it itself before the stop', () => {
    const stopping = t('a', { desiredState: TaskState.Shutdown, updatedAt: 5_000 });
    const local = () => false;
    expect(assignmentTasks([stopping], 'n1', 5_500, 30_000, 1_000, local)[0]!.desiredState).toBe(
      TaskState.Shutdown,
    );
  });

  it('force hash changes with the counter only', () => {
    expect(forceHash('h', 0)).toBe('h');
    expect(forceHash('h', 2)).not.toBe(forceHash('h', 1));
  });
});
