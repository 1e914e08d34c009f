// Pure session helpers: assignment deltas with gap detection, newest-per-task outbox, reconnect backoff.
import { controllerUrls } from './agent-session';
import { TaskState, type AssignmentsDelta, type Task, type TaskStatus } from '@tsstack/model';
import { applyDelta, emptySet } from './assignment-book';
import { StatusOutbox } from './status-outbox';
import { reconnectDelay } from './backoff';

const t = (id: string) => ({ id }) as Task;
const delta = (base: number, version: number, over: Partial<AssignmentsDelta> = {}): AssignmentsDelta => ({
  type: 'assignments.delta',
  baseVersion: base,
  version,
  upsertTasks: [],
  removeTasks: [],
  upsertNetworks: [],
  removeNetworks: [],
  ...over,
});
const st = (state: TaskState, message = ''): TaskStatus => ({ state, message, health: 'none', timestamp: 0 });

describe('assignment book', () => {
  it('applies deltas in order and detects a gap', () => {
    let s = applyDelta(emptySet(), delta(0, 1, { upsertTasks: [t('a'), t('b')] }))!;
    s = applyDelta(s, delta(1, 2, { removeTasks: ['a'], upsertTasks: [t('c')] }))!;
    expect(s.version).toBe(2);
    expect(s.tasks.map((x) => x.id)).toEqual(['b', 'c']);
    expect(applyDelta(s, delta(5, 6))).toBeUndefined();
  });
});

describe('status outbox', () => {
  it('keeps only the newest report per task and never goes backwards', () => {
    const o = new StatusOutbox();
    o.put('a', st(TaskState.Preparing));
    o.put('b', st(TaskState.Running));
    o.put('a', st(TaskState.Running, 'r1'));
    o.put('a', st(TaskState.Starting));
    o.put('a', st(TaskState.Running, 'r2'));
    expect(o.drain()).toEqual([
      ['b', st(TaskState.Running)],
      ['a', st(TaskState.Running, 'r2')],
    ]);
    expect(o.size).toBe(0);
  });
});

describe('reconnect backoff', () => {
  it('grows and caps', () => {
    expect(reconnectDelay(0, 100, 1000, () => 1)).toBe(100);
    expect(reconnectDelay(3, 100, 1000, () => 1)).toBe(800);
    expect(reconnectDelay(10, 100, 1000, () => 1)).toBe(1000);
    expect(reconnectDelay(10, 100, 1000, () => 0)).toBe(500);
  });
});

describe('controllerUrls', () => {
  it('splits a comma-separated list and refuses an empty one', () => {
    expect(controllerUrls('http://a:7700, b:7700')).toEqual(['http://a:7700', 'b:7700']);
    expect(() => controllerUrls(' , ')).toThrow(/no controller address/);
  });
});
