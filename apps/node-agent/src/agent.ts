// The node agent: joins the controller, keeps the assignment set, reconciles it against the runtime (adopt,
// run, stop, remove orphans), runs one executor per task and reports statuses. `cleanupAgent` removes what the
// agent created, as recorded in the state dir.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { TaskState, type AssignmentSet, type Task, type TaskStatus } from '@tsstack/model';
import { AgentSession } from './session/agent-session';
import { StateDir } from './state/state-dir';
import { reconcileAssignments } from './exec/assignment-reconcile';
import { runTask, type TaskController } from './exec/task-executor';
import { requestHandler } from './exec/request-handler';
import { OneOffRuns } from './exec/run-request';
import type { ContainerRuntimePort } from './ports';
import { createHash } from 'node:crypto';
import { ImageStore } from '@tsstack/image';
import { ContainerRuntime, seccompCacheDir } from '@tsstack/runtime';
import { nativeRuntime, type TaskNetworkPort } from './drivers/native-runtime';
import { managedNetwork } from './drivers/managed-network';
import { NetworkManager, claimNetnsWhenFree, listTaskNetns, removeTaskNetns } from '@tsstack/network';
import { existsSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
import { ensureSecretsTmpfs, unmountSecretsTmpfs } from './files/file-objects';
import { DEFAULT_STATS_INTERVAL_MS, startStatsReporter } from './exec/stats-reporter';
import { readNetCounters } from './drivers/net-counters';
import { VolumeStore } from './files/volume-store';
import { volumeRequests } from './exec/volume-requests';

export interface AgentOptions {
  controllerUrl: string;
  joinToken: string;
  stateDir?: string;
  name?: string;
  labels?: Record<string, string>;
  address?: string;
  cgroupParent?: string;
  /** Inject a runtime driver (tests); default: the native core through libs/runtime. */
  runtime?: ContainerRuntimePort;
  /** The task network driver; default libs/network (bridge/overlay, DNS, ports) with state in the state dir. */
  network?: TaskNetworkPort;
  /** Image store root; default <stateDir>/images. */
  imageRoot?: string;
  /** How often each running task's stats go to the controller (task.stats events); 0 = never. Default 10 s. */
  statsIntervalMs?: number;
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
  const managed = opts.network || opts.runtime ? undefined : managedNetwork(path.join(state.root, 'network'), opts.log, netnsDirOf(state.root)); // prettier-ignore
  const network = opts.network ?? managed;
  const runtime = opts.runtime ?? defaultRuntime(state, opts, network);
  const executing = new Map<string, Promise<void>>();
  const controllers = new Map<string, TaskController>();
  const stopping = new Set<string>();
  const latest = new Map<string, Task>();
  const lastStatus = new Map<string, TaskStatus>();
  let closed = false;
  let reconciling = Promise.resolve();
  let nextSet: AssignmentSet | undefined;

  const report = (taskId: string, s: TaskStatus) => {
    lastStatus.set(taskId, s);
    session.reportStatus(taskId, s);
  };
  const reportHealth = (taskId: string, health: TaskStatus['health'], output?: string) => {
    const last = lastStatus.get(taskId);
    if (last) report(taskId, { ...last, health, healthOutput: output, timestamp: Date.now() });
  };

  const execute = (task: Task, set: AssignmentSet, adoptId?: string, startAt?: TaskState) => {
    if (!lastStatus.has(task.id)) lastStatus.set(task.id, task.status);
    const ctl = runtime.controllerFor(task, set, adoptId, {
      onHealth: (h, output) => reportHealth(task.id, h, output),
    });
    const from = startAt ? { ...task, status: { ...task.status, state: startAt } } : task;
    controllers.set(task.id, ctl);
    const p = runTask(
      from,
      ctl,
      (s) => report(task.id, s),
      () => closed,
      () => latest.get(task.id)?.desiredState ?? task.desiredState,
    )
      .then(() => undefined)
      .catch((err: unknown) => opts.log?.(`task ${task.id}: ${String(err)}`))
      .finally(() => {
        executorEnded = true;
        executing.delete(task.id);
        controllers.delete(task.id);
        stopping.delete(task.id);
      });
    executing.set(task.id, p);
  };

  // A task asked to stop while its executor waits on the container: stop the container so the wait ends.
  const stopExecuting = (t: Task) => {
    const ctl = controllers.get(t.id);
    if (!ctl || stopping.has(t.id) || t.desiredState < TaskState.Shutdown) return;
    stopping.add(t.id);
    ctl.shutdown().catch(async (err: unknown) => {
      opts.log?.(`task ${t.id}: graceful stop failed (${String(err)}); killing`);
      await ctl.terminate().catch(() => undefined);
    });
  };

  // Containers of tasks that left the set are removed beside the reconcile, not inside it: a batch of a
  // rolling update must not wait for the previous batch's containers to be unmounted and deleted.
  const removing = new Map<string, Promise<void>>();
  const removeInBackground = (containerId: string) => {
    if (removing.has(containerId)) return;
    const p = runtime
      .removeContainer(containerId)
      .then(() => state.forget('container', containerId))
      .catch((err: unknown) => opts.log?.(`remove container ${containerId}: ${String(err)}`))
      .finally(() => removing.delete(containerId));
    removing.set(containerId, p);
  };

  // The tasks (ids and desired states) the last look at the runtime was for. Most sets differ from the one
  // before only in statuses and endpoints (the controller echoing this agent's own reports): they need no
  // new look unless an executor ended since (its task may need a new one).
  let reconciledFor = '';
  let executorEnded = false;
  const reconcile = async (set: AssignmentSet) => {
    await network?.sync?.(set);
    const wanted = set.tasks
      .map((t) => `${t.id}:${t.desiredState}`)
      .sort()
      .join(',');
    if (wanted === reconciledFor && !executorEnded) return;
    reconciledFor = wanted;
    executorEnded = false;
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
          removeInBackground(a.containerId);
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
    onRequest: requestHandler(
      runtime,
      opts.log,
      volumeRequests(new VolumeStore(state.volumesDir), runtime, () => session.assignments.tasks),
      new OneOffRuns(runtime, () => session.assignments, opts.log),
    ),
    onAssignments: (set) => {
      // Stops take effect at once; the rest is a reconcile of the whole set, so while one runs only the
      // newest set waiting behind it matters (a burst of deltas costs one more round, not one per delta).
      for (const t of set.tasks) latest.set(t.id, t);
      for (const t of set.tasks) if (executing.has(t.id)) stopExecuting(t);
      const queued = nextSet !== undefined;
      nextSet = set;
      if (queued) return;
      reconciling = reconciling
        .then(() => {
          const newest = nextSet!;
          nextSet = undefined;
          return reconcile(newest);
        })
        .catch((err) => opts.log?.(`reconcile: ${String(err)}`));
    },
  });
  let node;
  try {
    node = await session.start();
    await managed?.open(node.id, opts.address);
  } catch (err) {
    // Refused: leave no tmpfs behind when this agent owns no containers yet.
    await session.close();
    if (!(await state.readLedger()).some((e) => e.kind === 'container')) {
      await unmountSecretsTmpfs(state.secretsMount);
      await state.forget('mount', state.secretsMount);
    }
    throw err;
  }
  const stats = startStatsReporter({
    intervalMs: opts.statsIntervalMs ?? DEFAULT_STATS_INTERVAL_MS,
    runtime,
    tasks: () => session.assignments.tasks,
    readNet: readNetCounters,
    send: (samples) => session.reportStats(samples),
    log: opts.log,
  });
  return {
    nodeId: node.id,
    async close() {
      closed = true;
      stats.stop();
      await session.close();
      await reconciling;
      await Promise.all(removing.values());
      await managed?.close();
      // Containers keep running across agent restarts (a new agent adopts them); executors just detach.
    },
  };
}

/** Where this agent's containers live: one runtime state root per agent state dir, short enough for sockets. */
export function runtimeStateRoot(stateDir: string): string {
  return `/run/tsstack/rt-${createHash('sha256').update(path.resolve(stateDir)).digest('hex').slice(0, 12)}`;
}

/** Task network namespaces of this agent (kept apart from other agents on the same machine). */
function netnsDirOf(stateDir: string): string {
  return `${runtimeStateRoot(stateDir)}-netns`;
}

function defaultRuntime(
  state: StateDir,
  opts: AgentOptions,
  network?: TaskNetworkPort,
): ContainerRuntimePort {
  return nativeRuntime({
    runtime: new ContainerRuntime({
      stateRoot: runtimeStateRoot(state.root),
      cgroupParent: opts.cgroupParent ?? '/tsstack',
    }),
    images: new ImageStore({ root: opts.imageRoot ?? path.join(state.root, 'images') }),
    network,
    dirs: {
      volumesDir: state.volumesDir,
      configsDir: path.join(state.root, 'configs'),
      secretsDir: state.secretsMount,
    },
    log: opts.log,
  });
}

/** Remove everything the agent recorded in `stateDir` (containers, netns, interfaces, mounts, cgroups). */
export async function cleanupAgent(
  stateDir: string = DEFAULT_STATE_DIR,
  runtime?: ContainerRuntimePort,
  imageRoot?: string,
): Promise<void> {
  // A running agent (this state dir's or another's) owns this host's network namespace: removing containers
  // and sweeping links from under it would break it. Refuse before touching anything; one that was just
  // stopped gets a few seconds to exit.
  const release = runtime
    ? undefined
    : await claimNetnsWhenFree(path.join(stateDir, 'network'), CLEANUP_WAIT_MS);
  try {
    await cleanupClaimed(stateDir, runtime, imageRoot);
  } finally {
    release?.();
  }
}

/** How long `--cleanup` waits for an agent that is exiting to let go of the network namespace. */
const CLEANUP_WAIT_MS = 10_000;

async function cleanupClaimed(
  stateDir: string,
  runtime?: ContainerRuntimePort,
  imageRoot?: string,
): Promise<void> {
  const state = new StateDir(stateDir);
  const ledger = await state.readLedger();
  const rt =
    runtime ??
    nativeRuntime({
      runtime: new ContainerRuntime({ stateRoot: runtimeStateRoot(state.root) }),
      images: new ImageStore({ root: imageRoot ?? path.join(state.root, 'images') }),
      dirs: {
        volumesDir: state.volumesDir,
        configsDir: path.join(state.root, 'configs'),
        secretsDir: state.secretsMount,
      },
    });
  // Every container of this agent, recorded or not (a crash can come between create and record).
  for (const c of await rt.list().catch(() => [])) await rt.removeContainer(c.id).catch(() => undefined);
  // Then every network, namespace, link, DNS listener and nft rule it made.
  const netState = path.join(stateDir, 'network');
  if (!runtime && existsSync(netState)) {
    const net = await NetworkManager.open({ stateDir: netState, netnsDir: netnsDirOf(stateDir) });
    await net.reconcile({ tasks: [], networks: [] });
    await net.close();
  }
  // The namespace dir is a shared bind mount of its own (as iproute2 makes /run/netns); the runtime root holds
  // nothing once its containers are removed.
  if (!runtime) {
    // Namespaces the network state did not know (or all of them, when that state was lost) go too, else
    // the directory stays busy.
    for (const id of listTaskNetns(netnsDirOf(stateDir)))
      await removeTaskNetns(id, netnsDirOf(stateDir)).catch(() => undefined);
    await execFileAsync('umount', [netnsDirOf(stateDir)]).catch(() => undefined);
    await fs.rm(netnsDirOf(stateDir), { recursive: true, force: true });
    await fs.rm(runtimeStateRoot(stateDir), { recursive: true, force: true });
    await fs.rm(seccompCacheDir(runtimeStateRoot(stateDir)), { recursive: true, force: true });
  }
  for (const e of ledger.filter((x) => x.kind === 'container')) await rt.removeContainer(e.id);
  for (const e of ledger.filter((x) => x.kind === 'mount')) await unmountSecretsTmpfs(e.id);
  for (const e of ledger.filter((x) => x.kind === 'cgroup')) await fs.rmdir(e.id).catch(() => undefined);
  await unmountSecretsTmpfs(state.secretsMount);
  await fs.rm(path.resolve(stateDir), { recursive: true, force: true });
}
