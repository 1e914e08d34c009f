// Table tests of the pure task executor step against a recording fake controller (no runtime).
import { TaskState, type Task } from '@tsstack/model';
import { doStep, runTask, TaskRejectedError, type TaskController, type ExitInfo } from './task-executor';
import { taskIn } from './testing/task-fixture';

function fakeController(opts: { prepareError?: Error; exit?: ExitInfo; startError?: Error } = {}) {
  const calls: string[] = [];
  const ctl: TaskController = {
    prepare: async () => {
      calls.push('prepare');
      if (opts.prepareError) throw opts.prepareError;
    },
    start: async () => {
      calls.push('start');
      if (opts.startError) throw opts.startError;
      return { containerId: 'c1', pid: 42 };
    },
    wait: async () => {
      calls.push('wait');
      return opts.exit ?? { exitCode: 0 };
    },
    shutdown: async () => void calls.push('shutdown'),
    terminate: async () => void calls.push('terminate'),
    remove: async () => void calls.push('remove'),
  };
  return { ctl, calls };
}

const task = (state: TaskState, desired: TaskState = TaskState.Running): Task => taskIn(state, desired);

describe('doStep', () => {
  const table: Array<[string, TaskState, TaskState, TaskState, string[]]> = [
    ['assigned -> accepted', TaskState.Assigned, TaskState.Running, TaskState.Accepted, []],
    [
      'accepted -> preparing (prepare)',
      TaskState.Accepted,
      TaskState.Running,
      TaskState.Preparing,
      ['prepare'],
    ],
    ['preparing -> ready', TaskState.Preparing, TaskState.Running, TaskState.Ready, []],
    ['ready -> starting', TaskState.Ready, TaskState.Running, TaskState.Starting, []],
    ['starting -> running (start)', TaskState.Starting, TaskState.Running, TaskState.Running, ['start']],
    ['running -> complete (wait)', TaskState.Running, TaskState.Running, TaskState.Complete, ['wait']],
    ['ready stays when desired is ready', TaskState.Ready, TaskState.Ready, TaskState.Ready, []],
    [
      'running + shutdown desired -> shutdown',
      TaskState.Running,
      TaskState.Shutdown,
      TaskState.Shutdown,
      ['shutdown'],
    ],
    [
      'accepted + shutdown desired -> shutdown, no stop',
      TaskState.Accepted,
      TaskState.Shutdown,
      TaskState.Shutdown,
      [],
    ],
    ['failed stays failed', TaskState.Failed, TaskState.Running, TaskState.Failed, []],
  ];
  it.each(table)('%s', async (_name, from, desired, to, expectedCalls) => {
    const { ctl, calls } = fakeController();
    const s = await doStep(task(from, desired), ctl);
    expect(s.state).toBe(to);
    expect(calls).toEqual(expectedCalls);
  });

  it('non-zero exit -> failed with exit code', async () => {
    const { ctl } = fakeController({ exit: { exitCode: 3 } });
    const s = await doStep(task(TaskState.Running), ctl);
    expect(s.state).toBe(TaskState.Failed);
    expect(s.exitCode).toBe(3);
    expect(s.error).toBe('exit code 3');
  });

  it('oom kill is reported', async () => {
    const { ctl } = fakeController({ exit: { exitCode: 137, signal: 'SIGKILL', oomKilled: true } });
    const s = await doStep(task(TaskState.Running), ctl);
    expect(s.state).toBe(TaskState.Failed);
    expect(s.oomKilled).toBe(true);
    expect(s.error).toMatch(/out of memory/);
  });

  it('prepare failure -> rejected with reason', async () => {
    const { ctl } = fakeController({ prepareError: new Error('image nosuch:latest not found') });
    const s = await doStep(task(TaskState.Accepted), ctl);
    expect(s.state).toBe(TaskState.Rejected);
    expect(s.error).toBe('image nosuch:latest not found');
  });

  it('start failure -> failed; typed rejection -> rejected', async () => {
    expect(
      (await doStep(task(TaskState.Starting), fakeController({ startError: new Error('boom') }).ctl)).state,
    ).toBe(TaskState.Failed);
    const rej = fakeController({ startError: new TaskRejectedError('port 80/tcp taken') }).ctl;
    const s = await doStep(task(TaskState.Starting), rej);
    expect(s.state).toBe(TaskState.Rejected);
    expect(s.error).toBe('port 80/tcp taken');
  });

  it('shutdown falls back to terminate when graceful stop fails', async () => {
    const { ctl, calls } = fakeController();
    ctl.shutdown = async () => {
      calls.push('shutdown');
      throw new Error('no');
    };
    const s = await doStep(task(TaskState.Running, TaskState.Shutdown), ctl);
    expect(s.state).toBe(TaskState.Shutdown);
    expect(calls).toEqual(['shutdown', 'terminate']);
  });
});

describe('runTask', () => {
  it('walks assigned -> complete, reporting every state once, in order', async () => {
    const { ctl, calls } = fakeController();
    const seen: TaskState[] = [];
    const end = await runTask(task(TaskState.Assigned), ctl, (s) => seen.push(s.state));
    expect(end.state).toBe(TaskState.Complete);
    expect(seen).toEqual([
      TaskState.Accepted,
      TaskState.Preparing,
      TaskState.Ready,
      TaskState.Starting,
      TaskState.Running,
      TaskState.Complete,
    ]);
    expect(calls).toEqual(['prepare', 'start', 'wait']);
  });
});
