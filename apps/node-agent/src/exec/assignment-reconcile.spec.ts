// Reconcile tests: adopt, never duplicate, never lose.
import { TaskState, type Task, type ServiceSpec } from '@tsstack/model';
import { reconcileAssignments, TASK_ID_LABEL, type ObservedContainer } from './assignment-reconcile';

function task(id: string, state = TaskState.Running, desired = TaskState.Running): Task {
  return {
    id,
    stack: 's',
    service: 'web',
    specVersion: 1,
    specHash: 'h',
    spec: {} as ServiceSpec,
    desiredState: desired,
    status: { state, message: '', health: 'none', timestamp: 0 },
    networks: [],
    createdAt: 0,
    updatedAt: 0,
  };
}
const c = (id: string, taskId: string | undefined, running = true): ObservedContainer => ({
  id,
  running,
  labels: taskId ? { [TASK_ID_LABEL]: taskId } : {},
});

describe('reconcileAssignments', () => {
  it('adopts a running container of an assigned task instead of running a new one', () => {
    expect(reconcileAssignments([task('a')], [c('c1', 'a')])).toEqual([
      { kind: 'adopt', taskId: 'a', containerId: 'c1', running: true },
    ]);
  });
  it('runs an assigned task without a container', () => {
    expect(reconcileAssignments([task('a', TaskState.Assigned)], [])).toEqual([{ kind: 'run', taskId: 'a' }]);
  });
  it('removes containers of tasks no longer assigned, ignores unlabelled ones', () => {
    expect(reconcileAssignments([], [c('c1', 'gone'), c('x', undefined)])).toEqual([
      { kind: 'remove-orphan', containerId: 'c1', taskId: 'gone' },
    ]);
  });
  it('keeps exactly one container per task (the running one)', () => {
    const acts = reconcileAssignments([task('a')], [c('old', 'a', false), c('live', 'a', true)]);
    expect(acts).toEqual([
      { kind: 'remove-duplicate', taskId: 'a', containerId: 'old' },
      { kind: 'adopt', taskId: 'a', containerId: 'live', running: true },
    ]);
  });
  it('stops a container whose task is desired shutdown', () => {
    expect(reconcileAssignments([task('a', TaskState.Running, TaskState.Shutdown)], [c('c1', 'a')])).toEqual([
      { kind: 'stop', taskId: 'a', containerId: 'c1' },
    ]);
  });
  it('leaves tasks already executing alone and does not restart terminal ones', () => {
    const acts = reconcileAssignments(
      [task('a'), task('b', TaskState.Failed), task('c', TaskState.Assigned)],
      [c('c1', 'a')],
      new Set(['a', 'c']),
    );
    expect(acts).toEqual([]);
  });
  it('is idempotent for a stable set: every task appears in exactly one action', () => {
    const tasks = ['a', 'b', 'c', 'd'].map((id) => task(id, TaskState.Assigned));
    const acts = reconcileAssignments(tasks, [c('c1', 'b'), c('c2', 'd', false)]);
    const ids = acts.map((a) => ('taskId' in a ? a.taskId : ''));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(['a', 'b', 'c', 'd']);
  });
});
