// Pure cluster orchestrator: from desired services, their update progress, observed tasks and nodes and the
// time, decide which tasks to create, stop, remove or forget, and where new tasks go. Steps per service:
// lost tasks (node down/drained/removed) are stopped; dead tasks restart per restart_policy with backoff;
// slots (replicated 1..replicas, global one per eligible node) are filled or trimmed (highest slots first);
// the rolling update advances; old history is forgotten. Then one scheduling pass places every unplaced task.
import {
  TaskState,
  isTerminal,
  taskStateName,
  type ClusterNode,
  type ServiceSpec,
  type Task,
} from '@tsstack/model';
import type { ClusterInput, ClusterPlan, ServiceState, UpdateProgress } from './cluster-types';
import { decideRestart } from './restart-backoff';
import { checkConstraint, pickNode } from './scheduler';
import { stepUpdate, type UpdateSlot } from './rolling-update';
import {
  endedInFailure,
  isCurrent,
  isFinished,
  isGlobal,
  isJob,
  newestFirst,
  nodeLostReason,
  slotKeyOf,
} from './task-rules';

export const DEFAULT_HISTORY_LIMIT = 5;

class Work {
  readonly tasks = new Map<string, Task>();
  readonly changed = new Set<string>();
  private readonly byService = new Map<string, Set<string>>();
  readonly plan: ClusterPlan = { upserts: [], deletes: [], progress: {}, rollbacks: [], events: [] };
  constructor(
    readonly input: ClusterInput,
    readonly nodes: Map<string, ClusterNode>,
  ) {
    for (const t of input.tasks) {
      this.tasks.set(t.id, t);
      this.index(t);
    }
  }

  private index(t: Task): void {
    const key = `${t.stack}/${t.service}`;
    const set = this.byService.get(key) ?? new Set<string>();
    set.add(t.id);
    this.byService.set(key, set);
  }

  setDesired(t: Task, to: TaskState, reason: string): void {
    const cur = this.tasks.get(t.id) ?? t;
    if (cur.desiredState >= to) return;
    const next = { ...cur, desiredState: to, updatedAt: this.input.now };
    this.tasks.set(t.id, next);
    this.changed.add(t.id);
    this.plan.events.push({
      type: 'task.desired',
      stack: t.stack,
      service: t.service,
      task: t.id,
      node: t.nodeId,
      from: taskStateName(cur.desiredState),
      to: taskStateName(to),
      message: reason,
    });
  }

  create(svc: ServiceState, at: { slot?: number; nodeId?: string }, extra: Partial<Task> = {}): Task {
    const now = this.input.now;
    const t: Task = {
      id: this.input.newId(),
      stack: svc.stack,
      service: svc.name,
      ...(at.slot !== undefined ? { slot: at.slot } : {}),
      ...(at.nodeId ? { nodeId: at.nodeId } : {}),
      specVersion: svc.specVersion,
      specHash: svc.specHash,
      spec: svc.spec,
      desiredState: TaskState.Running,
      status:
        at.nodeId && !(extra.notBefore !== undefined && extra.notBefore > now)
          ? { state: TaskState.Assigned, message: 'assigned', health: 'none', timestamp: now }
          : { state: TaskState.Pending, message: 'pending', health: 'none', timestamp: now },
      networks: taskNetworks(svc),
      createdAt: now,
      updatedAt: now,
      restartAttempt: 0,
      ...extra,
    };
    this.tasks.set(t.id, t);
    this.index(t);
    this.changed.add(t.id);
    this.plan.events.push({
      type: 'task.created',
      stack: t.stack,
      service: t.service,
      task: t.id,
      node: t.nodeId,
      to: taskStateName(t.status.state),
      message: t.slot !== undefined ? `slot ${t.slot}` : `node ${t.nodeId}`,
    });
    return t;
  }

  forget(t: Task): void {
    this.tasks.delete(t.id);
    this.byService.get(`${t.stack}/${t.service}`)?.delete(t.id);
    this.changed.delete(t.id);
    this.plan.deletes.push(t.id);
    this.plan.events.push({
      type: 'task.removed',
      stack: t.stack,
      service: t.service,
      task: t.id,
      node: t.nodeId,
    });
  }

  tasksOf(key: string): Task[] {
    return [...(this.byService.get(key) ?? [])].map((id) => this.tasks.get(id)!).filter(Boolean);
  }
}

/**
 * The networks a new task joins: `<stack>_<network>` for each network of its service, with the service name
 * and the Compose aliases as DNS names; a fixed ipv4_address is passed on, otherwise the network allocates.
 */
export function taskNetworks(svc: ServiceState): Task['networks'] {
  return Object.entries(svc.spec.networks ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, att]) => ({
      network: `${svc.stack}_${name}`,
      address: att?.ipv4Address ?? '',
      aliases: [svc.name, ...(att?.aliases ?? []).filter((x) => x !== svc.name)],
    }));
}

/** Nodes a global service runs on: ready, active, constraints met. */
function globalNodes(spec: ServiceSpec, nodes: ClusterNode[]): ClusterNode[] {
  return nodes.filter(
    (n) =>
      n.status === 'ready' &&
      n.availability === 'active' &&
      spec.deploy.placement.constraints.every((c) => checkConstraint(n, c) === undefined),
  );
}

function restartTasks(w: Work, svc: ServiceState, wanted: Set<string>): void {
  for (const t of w.tasksOf(svc.key)) {
    if (!isCurrent(t) || !isTerminal(t.status.state)) continue;
    if (t.status.state === TaskState.Complete && isJob(t.spec)) continue; // a finished job holds its slot
    if (!wanted.has(slotKeyOf(t))) continue; // the slot filler removes it
    const exitCode = t.status.exitCode ?? (endedInFailure(t) ? 1 : 0);
    const ranForMs =
      t.status.startedAt !== undefined ? (t.status.finishedAt ?? w.input.now) - t.status.startedAt : 0;
    // max_attempts counts within restart_policy.window (from the first restart of the chain), as Swarm.
    const policy = svc.spec.deploy.restartPolicy;
    let attempts = t.restartAttempt ?? 0;
    // Judged at the failure time, so a decision never changes on a later round.
    const failedAt = t.status.finishedAt ?? t.status.timestamp;
    let windowStart = t.restartWindowStart ?? failedAt;
    if (policy.windowMs > 0 && failedAt - windowStart > policy.windowMs) {
      attempts = 0;
      windowStart = failedAt;
    }
    const d = decideRestart(policy, { attempts, ranForMs, exitCode });
    if (!d.restart) continue; // the dead task keeps its slot: nothing more to do for it
    w.setDesired(t, TaskState.Shutdown, `restarting (attempt ${d.attempt}, in ${d.delayMs} ms)`);
    w.create(
      svc,
      { slot: t.slot, nodeId: isGlobal(svc.spec) ? t.nodeId : undefined },
      { restartAttempt: d.attempt, notBefore: failedAt + d.delayMs, restartWindowStart: windowStart },
    );
  }
}

function stopLost(w: Work, svc: ServiceState): void {
  for (const t of w.tasksOf(svc.key)) {
    if (!isCurrent(t)) continue;
    const why = nodeLostReason(t, w.nodes);
    if (why) w.setDesired(t, TaskState.Shutdown, why);
  }
}

/** A slot whose previous task is still stopping on a live node (stop-first, restarts). */
function stopping(tasks: Task[], nodes: Map<string, ClusterNode>): boolean {
  return tasks.some((t) => !isCurrent(t) && !isFinished(t, nodes) && nodeLostReason(t, nodes) === undefined);
}

function fillSlots(w: Work, svc: ServiceState, slots: Map<string, UpdateSlot>): void {
  const all = w.tasksOf(svc.key);
  // Trim: current tasks outside the wanted slots (scale down, ineligible node).
  for (const t of all) {
    if (!isCurrent(t) || slots.has(slotKeyOf(t))) continue;
    const n = t.nodeId ? w.nodes.get(t.nodeId) : undefined;
    if (isGlobal(svc.spec) && n && n.availability === 'pause' && n.status === 'ready') continue;
    w.setDesired(t, TaskState.Remove, isGlobal(svc.spec) ? 'node no longer eligible' : 'scaled down');
  }
  for (const slot of slots.values()) {
    const tasks = slot.tasks.map((t) => w.tasks.get(t.id) ?? t);
    const cur = tasks.filter(isCurrent).sort(newestFirst);
    if (cur.length === 0) {
      if (stopping(tasks, w.nodes)) continue;
      const nodeId = slot.key.startsWith('n:') ? slot.key.slice(2) : undefined;
      const slotNo = slot.key.startsWith('s:') ? Number(slot.key.slice(2)) : undefined;
      w.create(svc, { slot: slotNo, nodeId });
      continue;
    }
    // Duplicates: keep the newest of the current spec and at most one older one (start-first overlap).
    const target = cur.filter((t) => t.specHash === svc.specHash);
    const old = cur.filter((t) => t.specHash !== svc.specHash);
    for (const t of target.slice(1)) w.setDesired(t, TaskState.Remove, 'duplicate task in slot');
    for (const t of old.slice(1)) w.setDesired(t, TaskState.Remove, 'duplicate task in slot');
  }
}

function forgetHistory(w: Work, svc: ServiceState | undefined, key: string): void {
  const limit = w.input.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  const bySlot = new Map<string, Task[]>();
  for (const t of w.tasksOf(key)) {
    if (!isFinished(t, w.nodes)) continue;
    const list = bySlot.get(slotKeyOf(t)) ?? [];
    list.push(t);
    bySlot.set(slotKeyOf(t), list);
  }
  for (const list of bySlot.values()) {
    list.sort(newestFirst);
    for (const t of list.slice(svc ? limit : 0)) w.forget(t);
  }
}

function buildSlots(w: Work, svc: ServiceState): Map<string, UpdateSlot> {
  const slots = new Map<string, UpdateSlot>();
  if (isGlobal(svc.spec)) {
    for (const n of globalNodes(svc.spec, [...w.nodes.values()])) {
      slots.set(`n:${n.id}`, { key: `n:${n.id}`, order: n.id, tasks: [] });
    }
    // Paused nodes keep the task they run.
    for (const t of w.tasksOf(svc.key)) {
      const n = t.nodeId ? w.nodes.get(t.nodeId) : undefined;
      if (
        isCurrent(t) &&
        n &&
        n.availability === 'pause' &&
        n.status === 'ready' &&
        !slots.has(slotKeyOf(t))
      ) {
        slots.set(slotKeyOf(t), { key: slotKeyOf(t), order: n.id, tasks: [] });
      }
    }
  } else {
    for (let s = 1; s <= svc.spec.deploy.replicas; s++)
      slots.set(`s:${s}`, { key: `s:${s}`, order: s, tasks: [] });
  }
  for (const t of w.tasksOf(svc.key)) slots.get(slotKeyOf(t))?.tasks.push(t);
  return slots;
}

function planService(w: Work, svc: ServiceState): void {
  stopLost(w, svc);
  restartTasks(w, svc, new Set(buildSlots(w, svc).keys()));
  let slots = buildSlots(w, svc);
  const prev = w.input.progress[svc.key];
  const next: UpdateProgress | undefined = stepUpdate(
    svc,
    prev,
    [...slots.values()],
    w.tasksOf(svc.key),
    w.input.now,
    {
      shut: (t, reason) => w.setDesired(t, TaskState.Shutdown, reason),
      create: (key) => {
        const slot = key.startsWith('s:') ? Number(key.slice(2)) : undefined;
        const nodeId = key.startsWith('n:') ? key.slice(2) : undefined;
        w.create(svc, { slot, nodeId });
      },
      rollback: (reason) => {
        if (svc.previousSpec && !w.plan.rollbacks.includes(svc.key)) {
          w.plan.rollbacks.push(svc.key);
          w.plan.events.push({
            type: 'service.update.status',
            stack: svc.stack,
            service: svc.name,
            message: reason,
          });
        }
      },
    },
  );
  if (next && next !== prev) {
    w.plan.progress[svc.key] = next;
    if (next.state !== prev?.state || next.specVersion !== prev?.specVersion) {
      w.plan.events.push({
        type: 'service.update.status',
        stack: svc.stack,
        service: svc.name,
        from: prev?.specVersion === next.specVersion ? prev.state : undefined,
        to: next.state,
        message: next.message,
      });
    }
  }
  slots = buildSlots(w, svc);
  fillSlots(w, svc, slots);
  forgetHistory(w, svc, svc.key);
}

interface Load {
  service: Record<string, Record<string, number>>;
  total: Record<string, number>;
  used: Record<string, { nanoCpus: number; memoryBytes: number }>;
}

function currentLoad(w: Work): Load {
  const load: Load = { service: {}, total: {}, used: {} };
  for (const t of w.tasks.values()) {
    if (!t.nodeId || !isCurrent(t) || isTerminal(t.status.state)) continue;
    const key = `${t.stack}/${t.service}`;
    const per = (load.service[key] ??= {});
    per[t.nodeId] = (per[t.nodeId] ?? 0) + 1;
    load.total[t.nodeId] = (load.total[t.nodeId] ?? 0) + 1;
    const r = t.spec.resources?.reservations ?? {};
    const u = (load.used[t.nodeId] ??= { nanoCpus: 0, memoryBytes: 0 });
    u.nanoCpus += r.nanoCpus ?? 0;
    u.memoryBytes += r.memoryBytes ?? 0;
  }
  return load;
}

function schedule(w: Work): void {
  const now = w.input.now;
  const nodes = [...w.nodes.values()];
  const load = currentLoad(w);
  const unplaced = [...w.tasks.values()]
    .filter((t) => isCurrent(t) && t.status.state === TaskState.Pending)
    .sort(
      (a, b) =>
        a.createdAt - b.createdAt || a.service.localeCompare(b.service) || (a.slot ?? 0) - (b.slot ?? 0),
    );
  for (const t of unplaced) {
    let reason: string | undefined;
    let nodeId: string | undefined;
    if (t.notBefore !== undefined && t.notBefore > now) {
      reason = `restart delayed until ${new Date(t.notBefore).toISOString()}`;
    } else if (t.nodeId) {
      nodeId = t.nodeId; // global: the node is the slot
    } else {
      const key = `${t.stack}/${t.service}`;
      const r = pickNode({
        nodes,
        placement: t.spec.deploy.placement,
        serviceLoad: load.service[key] ?? {},
        totalLoad: load.total,
        reservation: t.spec.resources?.reservations,
        usedResources: load.used,
      });
      nodeId = r.nodeId;
      if (nodeId) {
        const per = (load.service[key] ??= {});
        per[nodeId] = (per[nodeId] ?? 0) + 1;
        load.total[nodeId] = (load.total[nodeId] ?? 0) + 1;
        const res = t.spec.resources?.reservations ?? {};
        const u = (load.used[nodeId] ??= { nanoCpus: 0, memoryBytes: 0 });
        u.nanoCpus += res.nanoCpus ?? 0;
        u.memoryBytes += res.memoryBytes ?? 0;
      } else {
        const why = Object.entries(r.refusals).map(([id, m]) => `${id}: ${m}`);
        reason = nodes.length === 0 ? 'no nodes have joined' : `no suitable node (${why.join('; ')})`;
      }
    }
    const cur = w.tasks.get(t.id) ?? t;
    if (nodeId) {
      w.tasks.set(t.id, {
        ...cur,
        nodeId,
        pendingReason: undefined,
        status: { ...cur.status, state: TaskState.Assigned, message: 'assigned', timestamp: now },
        updatedAt: now,
      });
      w.changed.add(t.id);
    } else if (cur.pendingReason !== reason) {
      w.tasks.set(t.id, { ...cur, pendingReason: reason, updatedAt: now });
      w.changed.add(t.id);
      w.plan.events.push({
        type: 'task.pending',
        stack: t.stack,
        service: t.service,
        task: t.id,
        message: reason,
      });
    }
  }
}

/** Plan one reconcile round. Pure: same input, same plan. */
export function planCluster(input: ClusterInput): ClusterPlan {
  const w = new Work(input, new Map(input.nodes.map((n) => [n.id, n])));
  const known = new Set(input.services.map((s) => s.key));
  for (const svc of [...input.services].sort((a, b) => a.key.localeCompare(b.key))) planService(w, svc);
  // Tasks of removed services: stop them, then forget them once stopped.
  const orphanKeys = new Set(
    [...w.tasks.values()].map((t) => `${t.stack}/${t.service}`).filter((k) => !known.has(k)),
  );
  for (const key of orphanKeys) {
    for (const t of w.tasksOf(key)) if (isCurrent(t)) w.setDesired(t, TaskState.Remove, 'service removed');
    forgetHistory(w, undefined, key);
  }
  schedule(w);
  w.plan.upserts = [...w.changed].map((id) => w.tasks.get(id)!).filter(Boolean);
  return w.plan;
}
