// The node agent: joins the controller, keeps the assignment set, reconciles it against the runtime (adopt,
// run, stop, remove orphans), runs one executor per task and reports statuses. `cleanupAgent` removes what the
// agent created, as recorded in the state dir.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { TaskState, type AssignmentSet, type Task, type TaskStatus } from '@tsstack/model';
import { AgentSession } from './session/agent-session';
import { StateDir } from './state/state-dir';
import { reconcileAssignments } from './exec/assignment-reconcile';
import { runTask } from './exec/task-executor';
import type { ContainerRuntimePort } from './ports';
import { ImageStore } from '@tsstack/image';
import { imageOnlyRuntime } from './drivers/image-only-runtime';
import { unavailableRuntime } from './drivers/unavailable-runtime';
import { ensureSecretsTmpfs, unmountSecretsTmpfs } from './files/file-objects';

export interface AgentOptions {
  controllerUrl: string;
  joinToken: string;
  stateDir?: string;
  name?: string;
  labels?: Record<string, string>;
  address?: string;
  cgroupParent?: string;
  /** Inject a runtime driver (tests, or the libs/runtime adapter once built). */
  runtime?: ContainerRuntimePort;
  /** Image store root; default <stateDir>/images. */
  imageRoot?: string;
  log?(msg: string): void;
}

export interface AgentHandle {
  nodeId: string;
  close(): Promise<void>;
}

export const DEFAULT_STATE_DIR = '/var/lib/tsstack/agent';

export async function startAgent(opts: AgentOptions): Promise<AgentHandle> {
  const state = new StateDir(opts.stateDir ?? DEFAULT_STATE_DIR);
  await state.init();
  await ensureSecretsTmpfs(state.secretsMount);
  await state.record({ kind: 'mount', id: state.secretsMount });
  const runtime =
    opts.runtime ??
    imageOnlyRuntime(new ImageStore({ root: opts.imageRoot ?? path.join(state.root, 'images') }));
  const executing = new Map<string, Promise<void>>();
  const latest = new Map<string, Task>();
  let closed = false;
  let reconciling = Promise.resolve();

  const report = (taskId: string, s: TaskStatus) => session.reportStatus(taskId, s);

  const execute = (task: Task, set: AssignmentSet, adoptId?: string, startAt?: TaskState) => {
    const ctl = runtime.controllerFor(task, set, adoptId);
    const from = startAt ? { ...task, status: { ...task.status, state: startAt } } : task;
    const p = runTask(
      from,
      ctl,
      (s) => report(task.id, s),
      () => closed,
    )
      .then(() => undefined)
      .catch((err: unknown) => opts.log?.(`task ${task.id}: ${String(err)}`))
      .finally(() => executing.delete(task.id));
    executing.set(task.id, p);
  };

  const reconcile = async (set: AssignmentSet) => {
    for (const t of set.tasks) latest.set(t.id, t);
    const observed = await runtime.list();
    const actions = reconcileAssignments(set.tasks, observed, new Set(executing.keys()));
    for (const a of actions) {
      const t = 'taskId' in a && a.taskId ? latest.get(a.taskId) : undefined;
      switch (a.kind) {
        case 'run':
          if (t) execute(t, set);
          break;
        case 'adopt':
          // Running: keep it, wait for it; stopped: let the executor report the exit.
          if (t) execute(t, set, a.containerId, TaskState.Running);
          break;
        case 'stop':
          if (t) execute(t, set, a.containerId, TaskState.Running);
          break;
        case 'remove-orphan':
        case 'remove-duplicate':
          await runtime.removeContainer(a.containerId);
          await state.forget('container', a.containerId);
          break;
      }
    }
  };

  const session: AgentSession = new AgentSession({
    controllerUrl: opts.controllerUrl,
    joinToken: opts.joinToken,
    state,
    name: opts.name,
    labels: opts.labels,
    address: opts.address,
    log: opts.log,
    onAssignments: (set) => {
      reconciling = reconciling
        .then(() => reconcile(set))
        .catch((err) => opts.log?.(`reconcile: ${String(err)}`));
    },
  });
  let node;
  try {
    node = await session.start();
  } catch (err) {
    // Refused: leave no tmpfs behind when this agent owns no containers yet.
    await session.close();
    if (!(await state.readLedger()).some((e) => e.kind === 'container')) {
      await unmountSecretsTmpfs(state.secretsMount);
      await state.forget('mount', state.secretsMount);
    }
    throw err;
  }
  return {
    nodeId: node.id,
    async close() {
      closed = true;
      await session.close();
      await reconciling;
      // Containers keep running across agent restarts (a new agent adopts them); executors just detach.
    },
  };
}

/** Remove everything the agent recorded in `stateDir` (containers, netns, interfaces, mounts, cgroups). */
export async function cleanupAgent(
  stateDir: string = DEFAULT_STATE_DIR,
  runtime?: ContainerRuntimePort,
): Promise<void> {
  const state = new StateDir(stateDir);
  const ledger = await state.readLedger();
  const rt = runtime ?? unavailableRuntime;
  for (const e of ledger.filter((x) => x.kind === 'container')) await rt.removeContainer(e.id);
  for (const e of ledger.filter((x) => x.kind === 'mount')) await unmountSecretsTmpfs(e.id);
  for (const e of ledger.filter((x) => x.kind === 'cgroup')) await fs.rmdir(e.id).catch(() => undefined);
  await unmountSecretsTmpfs(state.secretsMount);
  await fs.rm(path.resolve(stateDir), { recursive: true, force: true });
}
