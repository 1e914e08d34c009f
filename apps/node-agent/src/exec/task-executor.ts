// Pure task executor step (Swarm's agent/exec `Do`): given a task (desired state + last reported status) and a
// small Controller port that drives one container, advance the task by one step and return the new status.
// All side effects live behind the port; this file only decides what to call next.
import { TaskState, isTerminal, type Task, type TaskStatus } from '@tsstack/model';
import { ProgressThrottle, type PullProgress } from './pull-progress';

/** Result of waiting for a container's main process. */
export interface ExitInfo {
  exitCode: number;
  signal?: string;
  oomKilled?: boolean;
  /** Why the agent ended the container itself (e.g. "unhealthy container"): the task fails with it. */
  error?: string;
}

/** Drives one task's container. Implemented over libs/runtime + libs/image + libs/network by the agent. */
export interface TaskController {
  /**
   * Image, rootfs, volumes, network attachment, container created (not started). `onPullProgress` hears the
   * byte sums of the image pull this step waits on (none when the image is present); not after it resolved.
   */
  prepare(onPullProgress?: (p: PullProgress) => void): Promise<void>;
  /** Start the created container; resolves with its pid, and `health: 'starting'` when it is health-checked. */
  start(): Promise<{ containerId: string; pid: number; health?: TaskStatus['health'] }>;
  /** Resolves when the main process exits. */
  wait(): Promise<ExitInfo>;
  /** Graceful stop (SIGTERM, grace, SIGKILL). */
  shutdown(): Promise<void>;
  /** Immediate SIGKILL. */
  terminate(): Promise<void>;
  /** Remove container and everything prepared for it. */
  remove(): Promise<void>;
}

/** A failure of a step the task cannot recover from by retrying this step (bad image, port taken...). */
export class TaskRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TaskRejectedError';
  }
}

function next(
  prev: TaskStatus,
  state: TaskState,
  message: string,
  extra: Partial<TaskStatus> = {},
): TaskStatus {
  return { ...prev, ...extra, state, message, timestamp: Date.now() };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Prepare, reporting the image pull as interim statuses of the current state (throttled, the last one with
 * every byte in): only `progress`, `message` and `timestamp` change, so no report moves the state.
 */
async function prepareWithProgress(
  status: TaskStatus,
  ctl: TaskController,
  onInterim?: (s: TaskStatus) => void,
): Promise<void> {
  if (!onInterim) return ctl.prepare();
  const throttle = new ProgressThrottle((progress) =>
    onInterim({ ...status, progress, message: 'pulling image', timestamp: Date.now() }),
  );
  try {
    await ctl.prepare((p) => throttle.offer(p, Date.now()));
    throttle.finish();
  } finally {
    throttle.close();
  }
}

/**
 * Advance `task` by one step. Returns the new status, or the same object when nothing is to be done (the task
 * is terminal, or already at its desired state). Never moves a state backwards. `onInterim` hears reports
 * within a step that keep its state (image pull progress while preparing).
 */
export async function doStep(
  task: Task,
  ctl: TaskController,
  desiredNow: () => TaskState = () => task.desiredState,
  onInterim?: (s: TaskStatus) => void,
): Promise<TaskStatus> {
  const status = task.status;
  const state = status.state;
  if (isTerminal(state)) return status;

  // Shutdown requested: stop whatever runs, then report shutdown.
  if (task.desiredState >= TaskState.Shutdown) {
    if (state >= TaskState.Starting) {
      try {
        await ctl.shutdown();
      } catch {
        await ctl.terminate();
      }
    }
    return next(status, TaskState.Shutdown, 'shutdown', { finishedAt: Date.now() });
  }

  try {
    switch (state) {
      case TaskState.New:
      case TaskState.Pending:
      case TaskState.Assigned:
        return next(status, TaskState.Accepted, 'accepted');
      case TaskState.Accepted:
        if (task.desiredState < TaskState.Preparing) return status;
        await prepareWithProgress(status, ctl, onInterim);
        return next(status, TaskState.Preparing, 'preparing');
      case TaskState.Preparing:
        return next(status, TaskState.Ready, 'prepared');
      case TaskState.Ready:
        if (task.desiredState < TaskState.Running) return status;
        return next(status, TaskState.Starting, 'starting');
      case TaskState.Starting: {
        const { containerId, pid, health } = await ctl.start();
        return next(status, TaskState.Running, 'started', {
          containerId,
          pid,
          startedAt: Date.now(),
          ...(health ? { health } : {}),
        });
      }
      case TaskState.Running: {
        const exit = await ctl.wait();
        // Stopped because the controller asked for it (the agent called shutdown while we waited).
        if (desiredNow() >= TaskState.Shutdown) {
          return next(status, TaskState.Shutdown, 'shutdown', {
            exitCode: exit.exitCode,
            signal: exit.signal,
            finishedAt: Date.now(),
          });
        }
        const failed =
          exit.exitCode !== 0 ||
          exit.signal !== undefined ||
          exit.oomKilled === true ||
          exit.error !== undefined;
        const extra: Partial<TaskStatus> = {
          exitCode: exit.exitCode,
          signal: exit.signal,
          oomKilled: exit.oomKilled,
          finishedAt: Date.now(),
        };
        if (!failed) return next(status, TaskState.Complete, 'finished', extra);
        const why = exit.error
          ? exit.error
          : exit.oomKilled
            ? 'killed: out of memory'
            : exit.signal
              ? `killed by ${exit.signal}`
              : `exit code ${exit.exitCode}`;
        return next(status, TaskState.Failed, `task: non-zero exit (${exit.exitCode})`, {
          ...extra,
          error: why,
        });
      }
      default:
        return status;
    }
  } catch (err) {
    if (err instanceof TaskRejectedError || state < TaskState.Starting) {
      return next(status, TaskState.Rejected, 'rejected', { error: errorText(err), finishedAt: Date.now() });
    }
    return next(status, TaskState.Failed, 'failed', { error: errorText(err), finishedAt: Date.now() });
  }
}

/**
 * Run steps until the task reaches its desired state or a terminal one. `onStatus` sees every new status, and
 * the interim reports of a step (pull progress) with the step's state.
 */
export async function runTask(
  task: Task,
  ctl: TaskController,
  onStatus: (s: TaskStatus) => void,
  shouldStop: () => boolean = () => false,
  desiredNow: () => TaskState = () => task.desiredState,
): Promise<TaskStatus> {
  let current = task;
  for (;;) {
    current = { ...current, desiredState: desiredNow() };
    const s = await doStep(current, ctl, desiredNow, onStatus);
    if (s === current.status) return s;
    onStatus(s);
    current = { ...current, status: s };
    if (isTerminal(s.state) || shouldStop()) return s;
  }
}
