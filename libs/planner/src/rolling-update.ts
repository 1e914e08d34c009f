// Pure rolling update, as Swarm's update_config: batches of `parallelism` slots (0 = all), stop-first or
// start-first, `delay` between batches, a new task counts as updated only once running and healthy, a task
// that fails within `monitor` (or never runs) is a failure, and when failures / updated slots exceeds
// max_failure_ratio the failure_action fires (pause | continue | rollback). A rollback runs the same way with
// rollback_config; a failed rollback pauses. Completion waits for `monitor` after the last batch.
import type { Task, UpdateConfig, UpdateStatus } from '@tsstack/model';
import type { ServiceState, UpdateProgress } from './cluster-types';
import { failedWithinMonitor, isCurrent, isHealthyRunning, newestFirst } from './task-rules';

export interface UpdateSlot {
  key: string;
  /** Sort order: slot number, or node id for global services. */
  order: number | string;
  tasks: Task[];
}

export interface UpdateOps {
  /** Set a task's desired state to shutdown with a reason. */
  shut(t: Task, reason: string): void;
  /** Create a new task with the current spec in this slot now (start-first). */
  create(slotKey: string): void;
  /** Ask the caller to roll the service back (failure_action rollback). */
  rollback(reason: string): void;
}

const ACTIVE: UpdateStatus[] = ['updating', 'rollback_started'];

export function updateConfigOf(svc: ServiceState): UpdateConfig {
  return svc.rollback ? svc.spec.deploy.rollbackConfig : svc.spec.deploy.updateConfig;
}

function targetTask(slot: UpdateSlot, hash: string): Task | undefined {
  return slot.tasks.filter((t) => isCurrent(t) && t.specHash === hash).sort(newestFirst)[0];
}

function outdated(slot: UpdateSlot, hash: string): Task[] {
  return slot.tasks.filter((t) => isCurrent(t) && t.specHash !== hash);
}

/** A slot waiting for the updater: it runs an outdated task and has no task of the current spec. */
export function isOutdatedSlot(slot: UpdateSlot, hash: string): boolean {
  return !targetTask(slot, hash) && outdated(slot, hash).length > 0;
}

/**
 * One step of the update of `svc` over its desired `slots`. Returns the new progress (a fresh object when it
 * changed, `prev` itself when not), or undefined when the service has never needed an update.
 */
export function stepUpdate(
  svc: ServiceState,
  prev: UpdateProgress | undefined,
  slots: UpdateSlot[],
  allTasks: Task[],
  now: number,
  ops: UpdateOps,
): UpdateProgress | undefined {
  const hash = svc.specHash;
  const sorted = [...slots].sort((a, b) =>
    typeof a.order === 'number' && typeof b.order === 'number'
      ? a.order - b.order
      : String(a.order).localeCompare(String(b.order)),
  );
  const anyOutdated = sorted.some((s) => outdated(s, hash).length > 0);
  let p: UpdateProgress;
  if (!prev || prev.specVersion !== svc.specVersion) {
    if (!prev && !anyOutdated) return undefined;
    p = {
      specVersion: svc.specVersion,
      state: svc.rollback ? 'rollback_started' : 'updating',
      startedAt: now,
      batch: [],
      nextBatchAt: now,
      monitorUntil: now,
      updatedSlots: [],
      failedTasks: [],
      dirtySlots: sorted.filter((sl) => outdated(sl, hash).length > 0).length,
    };
  } else {
    if (!ACTIVE.includes(prev.state)) return prev;
    p = {
      ...prev,
      batch: [...prev.batch],
      updatedSlots: [...prev.updatedSlots],
      failedTasks: [...prev.failedTasks],
    };
  }
  const cfg = updateConfigOf(svc);

  // Tasks this update created: when each first counted as updated (running and healthy), and failures
  // (ended in failure before that, or within monitor after it).
  const okAt = { ...(p.okAt ?? {}) };
  for (const t of allTasks) {
    if (t.specHash !== hash || t.createdAt < p.startedAt || p.failedTasks.includes(t.id)) continue;
    if (isHealthyRunning(t)) okAt[t.id] ??= now;
    else if (failedWithinMonitor(t, cfg.monitorMs, now, okAt[t.id])) p.failedTasks.push(t.id);
  }
  const live = new Set(allTasks.map((t) => t.id));
  for (const id of Object.keys(okAt)) if (!live.has(id)) delete okAt[id];
  if (Object.keys(okAt).length > 0 || p.okAt) p.okAt = okAt;

  const bySlot = new Map(sorted.map((s) => [s.key, s]));
  const advance = (slot: UpdateSlot): boolean => {
    // A slot whose new task failed is done (the failure is counted; restart_policy replaces the task).
    if (slot.tasks.some((x) => p.failedTasks.includes(x.id))) return true;
    const t = targetTask(slot, hash);
    const old = outdated(slot, hash);
    if (!t) {
      if (old.length === 0) return false; // emptied: the slot filler creates the new task
      if (cfg.order === 'start-first') ops.create(slot.key);
      else for (const o of old) ops.shut(o, 'rolling update (stop-first)');
      return false;
    }
    if (isHealthyRunning(t)) {
      for (const o of old) ops.shut(o, 'rolling update: replaced');
      return true;
    }
    return t.status.state >= 576; // terminal (complete/failed/...): done, failure counted above
  };

  const remaining = p.batch.filter((k) => {
    const s = bySlot.get(k);
    return s !== undefined && !advance(s);
  });
  if (p.batch.length > 0 && remaining.length === 0) {
    p.nextBatchAt = now + cfg.delayMs;
    p.monitorUntil = now + cfg.monitorMs;
  }
  p.batch = remaining;

  const failures = p.failedTasks.length;
  const dirty = Math.max(1, p.dirtySlots ?? p.updatedSlots.length);
  if (failures > 0 && failures / dirty > cfg.maxFailureRatio) {
    const why = `${failures} of ${dirty} updated tasks failed`;
    if (svc.rollback)
      return finish(prev, { ...p, state: 'rollback_paused', message: `rollback paused: ${why}` });
    if (cfg.failureAction === 'pause')
      return finish(prev, { ...p, state: 'paused', message: `update paused: ${why}` });
    if (cfg.failureAction === 'rollback') {
      ops.rollback(`update failed: ${why}`);
      return finish(prev, { ...p, message: `rolling back: ${why}` });
    }
  }

  if (p.batch.length === 0 && now >= p.nextBatchAt) {
    const todo = sorted.filter((s) => isOutdatedSlot(s, hash));
    const n = cfg.parallelism > 0 ? cfg.parallelism : todo.length;
    for (const s of todo.slice(0, n)) {
      p.batch.push(s.key);
      if (!p.updatedSlots.includes(s.key)) p.updatedSlots.push(s.key);
      if (advance(s)) p.batch.pop();
    }
  }

  const left = sorted.some((s) => isOutdatedSlot(s, hash) || outdated(s, hash).length > 0);
  if (p.batch.length === 0 && !left && now >= p.monitorUntil) {
    p.state = svc.rollback ? 'rollback_completed' : 'completed';
    p.completedAt = now;
    p.message = undefined;
  }
  return finish(prev, p);
}

function finish(prev: UpdateProgress | undefined, p: UpdateProgress): UpdateProgress {
  return prev && JSON.stringify(prev) === JSON.stringify(p) ? prev : p;
}
