// The Redis store of tsstack: stacks, services, rolling-update progress, tasks, nodes, the event stream, the
// leader lease and the shared tokens. Every desired-state write goes through one Lua script that checks the
// versions the writer read (optimistic concurrency: a stale write is refused with ConflictError, never
// merged) and appends its events in the same atomic step. Task status has its own script: only the agent of
// the task's node writes it, and only forward.
import type Redis from 'ioredis';
import {
  ConflictError,
  TaskState,
  taskStateName,
  type Task,
  type TaskStatus,
  type TsstackEvent,
} from '@tsstack/model';
import type { UpdateProgress } from '@tsstack/planner';
import { APPLY_LUA, LEASE_LUA, RELEASE_LUA, STATUS_LUA } from './lua-scripts';
import { DEFAULT_PREFIX, keys } from './keys';
import type { EventInput, NodeRecord, ServiceRecord, StackRecord } from './records';
import { storeError } from './redis-connect';

export type RecordKind = 'stack' | 'service' | 'node';
export type StatusResult = 'applied' | 'unknown' | 'foreign' | 'stale';

/** One atomic write. `expect` lists the versions the writer read (0 = must not exist). */
export interface Mutation {
  expect?: Array<{ kind: RecordKind; id: string; version: number }>;
  stacks?: StackRecord[];
  services?: ServiceRecord[];
  nodes?: NodeRecord[];
  removeStacks?: string[];
  removeServices?: string[];
  removeNodes?: string[];
  /** Rolling update progress per service key; null deletes it. */
  progress?: Record<string, UpdateProgress | null>;
  tasks?: Task[];
  removeTasks?: string[];
  events?: EventInput[];
  /** Leader lease value: the write applies only while this lease is held (fencing). */
  fence?: string;
  /** Overlay address state (JSON), written by the reconcile leader. */
  overlay?: string;
}

export class FenceLostError extends ConflictError {
  constructor() {
    super('the reconcile lease was lost to another controller; this write was refused');
  }
}

const STATE_NAMES = JSON.stringify(
  Object.fromEntries(
    Object.values(TaskState)
      .filter((v): v is number => typeof v === 'number')
      .map((v) => [String(v), taskStateName(v)]),
  ),
);

type Scripted = Redis & {
  tsApply(prefix: string, payload: string): Promise<[number, number?]>;
  tsStatus(...args: string[]): Promise<number[]>;
  tsLease(prefix: string, id: string, ms: string): Promise<string | null>;
  tsRelease(prefix: string, value: string): Promise<number>;
};

export interface StoreOptions {
  prefix?: string;
  /** Approximate cap of the event stream. */
  eventsMaxLen?: number;
}

function kindKey(kind: RecordKind, id: string): string {
  return kind === 'stack' ? keys.stack(id) : kind === 'service' ? keys.service(id) : keys.node(id);
}

export class StateStore {
  readonly prefix: string;
  readonly eventsMaxLen: number;
  private readonly r: Scripted;
  /** Parsed controller-owned task parts by id, with the write counter they were read at. */
  private readonly taskCache = new Map<string, { tv: string; t: Omit<Task, 'status'> }>();

  constructor(
    readonly redis: Redis,
    opts: StoreOptions = {},
  ) {
    this.prefix = opts.prefix ?? DEFAULT_PREFIX;
    this.eventsMaxLen = opts.eventsMaxLen ?? 100_000;
    const r = redis as Scripted;
    if (typeof (redis as unknown as Partial<Scripted>).tsApply !== 'function') {
      redis.defineCommand('tsApply', { numberOfKeys: 0, lua: APPLY_LUA });
      redis.defineCommand('tsStatus', { numberOfKeys: 0, lua: STATUS_LUA });
      redis.defineCommand('tsLease', { numberOfKeys: 0, lua: LEASE_LUA });
      redis.defineCommand('tsRelease', { numberOfKeys: 0, lua: RELEASE_LUA });
    }
    this.r = r;
  }

  private k(key: string): string {
    return this.prefix + key;
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw storeError(err);
    }
  }

  // ---- writes ----

  /** Apply a mutation atomically. Throws ConflictError when an expected version moved, FenceLostError. */
  async apply(m: Mutation, now = Date.now()): Promise<void> {
    const payload = {
      fence: m.fence,
      checks: (m.expect ?? []).map((e) => ({ k: kindKey(e.kind, e.id), v: e.version })),
      docs: [
        ...(m.stacks ?? []).map((s) => ({
          k: keys.stack(s.name),
          v: s.version,
          d: JSON.stringify(s),
          idx: keys.stacks,
          m: s.name,
        })),
        ...(m.services ?? []).map((s) => ({
          k: keys.service(s.key),
          v: s.version,
          d: JSON.stringify(s),
          idx: keys.services,
          m: s.key,
        })),
        ...(m.nodes ?? []).map((n) => ({
          k: keys.node(n.id),
          v: n.version ?? 1,
          d: JSON.stringify(n),
          idx: keys.nodes,
          m: n.id,
        })),
      ],
      dels: [
        ...(m.removeStacks ?? []).map((id) => ({ k: keys.stack(id), idx: keys.stacks, m: id })),
        ...(m.removeServices ?? []).map((id) => ({ k: keys.service(id), idx: keys.services, m: id })),
        ...(m.removeServices ?? []).map((id) => ({ k: keys.progress(id) })),
        ...(m.removeNodes ?? []).map((id) => ({ k: keys.node(id), idx: keys.nodes, m: id })),
      ],
      strs: [
        ...Object.entries(m.progress ?? {}).map(([key, p]) => ({
          k: keys.progress(key),
          d: p ? JSON.stringify(p) : null,
        })),
        ...(m.overlay !== undefined ? [{ k: keys.overlay, d: m.overlay }] : []),
      ],
      tasks: (m.tasks ?? []).map((t) => {
        const { status, ...rest } = t;
        return {
          id: t.id,
          t: JSON.stringify(rest),
          n: t.nodeId ?? '',
          stack: t.stack,
          svc: t.service,
          s: JSON.stringify(status),
          st: status.state,
          h: status.health ?? 'none',
        };
      }),
      taskDels: m.removeTasks ?? [],
      events: (m.events ?? []).map((e) => JSON.stringify({ time: now, ...e })),
      maxlen: this.eventsMaxLen,
    };
    const res = await this.guard(() => this.r.tsApply(this.prefix, JSON.stringify(payload)));
    if (res[0] === 2) throw new FenceLostError();
    if (res[0] === 1) {
      const e = m.expect![(res[1] ?? 1) - 1]!;
      throw new ConflictError(
        `${e.kind} ${e.id} changed since version ${e.version} was read: re-read it and try again`,
      );
    }
  }

  /**
   * An agent's status report. Returns 'applied', 'unknown' (no such task: it was forgotten), 'foreign' (the task
   * is not on this node) or 'stale' (an older state than the stored one).
   */
  async reportStatus(
    taskId: string,
    nodeId: string,
    status: TaskStatus,
    now = Date.now(),
  ): Promise<StatusResult> {
    return (await this.reportStatuses([{ taskId, nodeId, status }], now))[0]!;
  }

  /** Many status reports in one atomic step, applied in order (each with its own event). */
  async reportStatuses(
    reports: Array<{ taskId: string; nodeId: string; status: TaskStatus }>,
    now = Date.now(),
  ): Promise<StatusResult[]> {
    if (reports.length === 0) return [];
    const payload = reports.map((r) => ({
      id: r.taskId,
      n: r.nodeId,
      s: JSON.stringify(r.status),
      st: r.status.state,
      h: r.status.health ?? 'none',
    }));
    const codes = await this.guard(() =>
      this.r.tsStatus(
        this.prefix,
        JSON.stringify(payload),
        String(now),
        String(this.eventsMaxLen),
        STATE_NAMES,
      ),
    );
    return codes.map((code) =>
      code === 0 ? 'applied' : code === -1 ? 'unknown' : code === -3 ? 'foreign' : 'stale',
    );
  }

  async heartbeat(nodeId: string, now = Date.now()): Promise<void> {
    await this.guard(() => this.redis.hset(this.k(keys.heartbeats), nodeId, String(now)));
  }

  // ---- reads ----

  private async docs<T>(indexKey: string, keyOf: (m: string) => string): Promise<T[]> {
    return this.guard(async () => {
      const members = (await this.redis.smembers(this.k(indexKey))).sort();
      if (members.length === 0) return [];
      const p = this.redis.pipeline();
      for (const m of members) p.hget(this.k(keyOf(m)), 'd');
      const res = (await p.exec()) ?? [];
      return res
        .map(([, v]) => v as string | null)
        .filter((v): v is string => !!v)
        .map((v) => JSON.parse(v) as T);
    });
  }

  private async doc<T>(key: string): Promise<T | undefined> {
    const v = await this.guard(() => this.redis.hget(this.k(key), 'd'));
    return v ? (JSON.parse(v) as T) : undefined;
  }

  getStack(name: string): Promise<StackRecord | undefined> {
    return this.doc(keys.stack(name));
  }
  listStacks(): Promise<StackRecord[]> {
    return this.docs(keys.stacks, keys.stack);
  }
  getService(key: string): Promise<ServiceRecord | undefined> {
    return this.doc(keys.service(key));
  }
  listServices(): Promise<ServiceRecord[]> {
    return this.docs(keys.services, keys.service);
  }
  getNode(id: string): Promise<NodeRecord | undefined> {
    return this.doc(keys.node(id));
  }
  listNodes(): Promise<NodeRecord[]> {
    return this.docs(keys.nodes, keys.node);
  }

  /** The overlay address state JSON (see apps/controller overlay-ipam), if any. */
  async getOverlay(): Promise<string | undefined> {
    return (await this.guard(() => this.redis.get(this.k(keys.overlay)))) ?? undefined;
  }

  async heartbeats(): Promise<Record<string, number>> {
    const h = await this.guard(() => this.redis.hgetall(this.k(keys.heartbeats)));
    return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Number(v)]));
  }

  async listProgress(serviceKeys: string[]): Promise<Record<string, UpdateProgress>> {
    if (serviceKeys.length === 0) return {};
    const vals = await this.guard(() => this.redis.mget(serviceKeys.map((k) => this.k(keys.progress(k)))));
    const out: Record<string, UpdateProgress> = {};
    serviceKeys.forEach((k, i) => {
      const v = vals[i];
      if (v) out[k] = JSON.parse(v) as UpdateProgress;
    });
    return out;
  }

  async getTask(id: string): Promise<Task | undefined> {
    const [t, s] = await this.guard(() => this.redis.hmget(this.k(keys.task(id)), 't', 's'));
    return t && s
      ? { ...(JSON.parse(t) as Omit<Task, 'status'>), status: JSON.parse(s) as TaskStatus }
      : undefined;
  }

  /**
   * Every task. The controller-owned part (`t`, the bulk: the spec copy) is parsed again only when its write
   * counter moved since the last call, so a round over thousands of tasks mostly reads small status fields.
   */
  async listTasks(): Promise<Task[]> {
    return this.guard(async () => {
      const ids = await this.redis.smembers(this.k(keys.tasks));
      if (ids.length === 0) {
        this.taskCache.clear();
        return [];
      }
      const p = this.redis.pipeline();
      for (const id of ids) p.hmget(this.k(keys.task(id)), 'tv', 's');
      const res = (await p.exec()) ?? [];
      const need: string[] = [];
      const rows: Array<{ id: string; tv: string | null; s: string | null }> = [];
      res.forEach(([, v], i) => {
        const [tv, s] = (v as [string | null, string | null]) ?? [null, null];
        const id = ids[i]!;
        rows.push({ id, tv, s });
        const c = this.taskCache.get(id);
        if (!tv || !c || c.tv !== tv) need.push(id);
      });
      if (need.length) {
        const q = this.redis.pipeline();
        for (const id of need) q.hmget(this.k(keys.task(id)), 't', 'tv');
        const got = (await q.exec()) ?? [];
        got.forEach(([, v], i) => {
          const [t, tv] = (v as [string | null, string | null]) ?? [null, null];
          if (t) this.taskCache.set(need[i]!, { tv: tv ?? '', t: JSON.parse(t) as Omit<Task, 'status'> });
          else this.taskCache.delete(need[i]!);
        });
      }
      const present = new Set(ids);
      for (const id of this.taskCache.keys()) if (!present.has(id)) this.taskCache.delete(id);
      const out: Task[] = [];
      for (const r of rows) {
        const c = this.taskCache.get(r.id);
        if (c && r.s) out.push({ ...c.t, status: JSON.parse(r.s) as TaskStatus });
      }
      return out.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
    });
  }

  // ---- events ----

  /** Events after `afterId` (exclusive; '0' = from the oldest kept), at most `count`. */
  async readEvents(afterId: string, count = 1000): Promise<TsstackEvent[]> {
    const res = await this.guard(() =>
      this.redis.xrange(this.k(keys.events), afterId === '0' ? '-' : `(${afterId}`, '+', 'COUNT', count),
    );
    return res.map(([id, fields]) => parseEvent(id, fields));
  }

  /** Blocking read on a dedicated connection: events after `afterId`, waiting up to `blockMs`. */
  async tailEvents(conn: Redis, afterId: string, blockMs: number, count = 500): Promise<TsstackEvent[]> {
    const res = await this.guard(() =>
      conn.xread('COUNT', count, 'BLOCK', blockMs, 'STREAMS', this.k(keys.events), afterId),
    );
    if (!res) return [];
    return res[0]![1].map(([id, fields]) => parseEvent(id, fields));
  }

  /**
   * When the cap has trimmed events away: the id of the oldest event kept (anything older may be gone);
   * undefined when nothing was ever trimmed (XINFO STREAM: entries-added > length).
   */
  async eventsKeptFrom(): Promise<string | undefined> {
    const info = (await this.guard(() => this.redis.xinfo('STREAM', this.k(keys.events)))) as unknown[];
    const get = (k: string) => {
      const i = info.indexOf(k);
      return i >= 0 ? info[i + 1] : undefined;
    };
    if (Number(get('entries-added')) <= Number(get('length'))) return undefined;
    const first = get('recorded-first-entry-id');
    return first ? String(first) : undefined;
  }

  /** The id of the newest event, or '0-0'. */
  async lastEventId(): Promise<string> {
    const res = await this.guard(() => this.redis.xrevrange(this.k(keys.events), '+', '-', 'COUNT', 1));
    return res[0]?.[0] ?? '0-0';
  }

  // ---- lease and secrets ----

  /** Take or renew the reconcile lease; returns its value (the fencing token) when held, else undefined. */
  async lease(controllerId: string, leaseMs: number): Promise<string | undefined> {
    const v = await this.guard(() => this.r.tsLease(this.prefix, controllerId, String(leaseMs)));
    return v ?? undefined;
  }

  async releaseLease(value: string): Promise<void> {
    await this.guard(() => this.r.tsRelease(this.prefix, value));
  }

  async currentLeader(): Promise<string | undefined> {
    return (await this.guard(() => this.redis.get(this.k(keys.leader)))) ?? undefined;
  }

  /** A shared secret: the stored one, or `fresh` stored now when none is (first controller wins). */
  async ensureSecret(name: 'apiToken' | 'joinToken', fresh: string): Promise<string> {
    const key = this.k(keys[name]);
    await this.guard(() => this.redis.set(key, fresh, 'NX'));
    return (await this.guard(() => this.redis.get(key))) ?? fresh;
  }

  notifyChannel(): string {
    return this.k(keys.notify);
  }

  // ---- agent sessions across controllers ----

  async setSessionOwner(nodeId: string, controllerId: string): Promise<void> {
    await this.guard(() => this.redis.hset(this.k(keys.sessions), nodeId, controllerId));
  }

  async clearSessionOwner(nodeId: string, controllerId: string): Promise<void> {
    const cur = await this.guard(() => this.redis.hget(this.k(keys.sessions), nodeId));
    if (cur === controllerId) await this.guard(() => this.redis.hdel(this.k(keys.sessions), nodeId));
  }

  async sessionOwner(nodeId: string): Promise<string | undefined> {
    return (await this.guard(() => this.redis.hget(this.k(keys.sessions), nodeId))) ?? undefined;
  }

  relayChannel(controllerId: string): string {
    return this.k(keys.relay(controllerId));
  }

  async publish(channel: string, message: unknown): Promise<void> {
    await this.guard(() => this.redis.publish(channel, JSON.stringify(message)));
  }
}

function parseEvent(id: string, fields: string[]): TsstackEvent {
  const i = fields.indexOf('e');
  const e = JSON.parse(i >= 0 ? fields[i + 1]! : '{}') as Omit<TsstackEvent, 'id'>;
  return { id, ...e };
}
