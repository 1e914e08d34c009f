// The controller's loop. Every controller keeps trying to hold the reconcile lease; the holder (the leader)
// marks nodes down/ready from heartbeats and applies the planner's decisions with its lease as a fencing
// token. Every controller then pushes assignment changes to the agents connected to it. A round runs when
// Redis announces a change (pub/sub) and on a short timer for time-based decisions (backoff, delays, node
// timeouts). A Redis outage only pauses rounds: nothing is stopped, and work resumes when Redis returns.
import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import type { ClusterNode, StackSpec, Task } from '@tsstack/model';
import { nodeLiveness, planCluster, type UpdateProgress } from '@tsstack/planner';
import { ConflictError } from '@tsstack/model';
import type { NodeRecord, ServiceRecord, StateStore } from '@tsstack/store';
import type { ControllerConfig } from '../config/controller-config';
import { withRollback } from '../domain/service-records';
import type { ControllerMetrics } from '../api/controller-metrics';
import { OverlayIpam, type OverlayState } from './overlay-ipam';

export interface Snapshot {
  now: number;
  tasks: Task[];
  nodes: NodeRecord[];
  stacks: Map<string, StackSpec>;
  /** Overlay networks' subnets, VNIs and addresses. */
  overlay?: OverlayState;
}

export interface SnapshotConsumer {
  /** True when this controller has agents to serve (otherwise non-leaders skip loading). */
  hasSessions(): boolean;
  refresh(s: Snapshot): Promise<void>;
}

export class ClusterEngine {
  readonly controllerId = randomBytes(6).toString('hex');
  lease?: string;
  /** When this controller last became leader: nodes get a full timeout from then before being marked down. */
  private leaderSince = 0;
  private sub?: Redis;
  private timers: NodeJS.Timeout[] = [];
  private pending = false;
  private running?: Promise<void>;
  private again = false;
  private closed = false;

  constructor(
    private readonly store: StateStore,
    private readonly cfg: ControllerConfig,
    private readonly log: Logger,
    private readonly metrics: ControllerMetrics,
    private readonly consumer: SnapshotConsumer,
  ) {}

  get isLeader(): boolean {
    return this.lease !== undefined;
  }

  async start(): Promise<void> {
    const sub = this.store.redis.duplicate({ enableOfflineQueue: true });
    sub.on('error', () => undefined);
    await sub.subscribe(this.store.notifyChannel()).catch(() => undefined);
    sub.on('message', () => this.kick());
    this.sub = sub;
    await this.renewLease();
    this.timers.push(
      setInterval(() => void this.renewLease(), Math.max(50, Math.floor(this.cfg.leaseMs / 3))),
    );
    this.timers.push(setInterval(() => this.kick(), Math.max(50, Math.min(250, this.cfg.heartbeatMs / 2))));
    this.kick();
  }

  /** Stop; `release` false leaves the lease to expire, as a crashed controller would. */
  async close(release = true): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    await this.running;
    this.sub?.disconnect();
    if (this.lease && release) await this.store.releaseLease(this.lease).catch(() => undefined);
    this.lease = undefined;
  }

  private async renewLease(): Promise<void> {
    if (this.closed) return;
    const was = this.lease;
    try {
      this.lease = await this.store.lease(this.controllerId, this.cfg.leaseMs);
    } catch {
      this.lease = undefined; // Redis away: nobody can prove leadership
    }
    if (this.lease !== was) {
      if (this.lease) this.leaderSince = Date.now();
      this.metrics.leader.set(this.lease ? 1 : 0);
      this.log.info(
        { lease: this.lease, controller: this.controllerId },
        this.lease ? 'reconcile leader' : 'not the leader',
      );
      if (this.lease) {
        await this.store
          .apply({ fence: this.lease, events: [{ type: 'controller.leader', message: this.controllerId }] })
          .catch(() => undefined);
        this.kick();
      }
    }
  }

  /** Ask for a round soon (coalesced). */
  kick(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.pending) return;
    this.pending = true;
    setTimeout(() => {
      this.pending = false;
      this.running = this.round().finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
    }, 5);
  }

  /** Task ids: 20 random hex digits, so the 12 the CLI shows are distinct. */
  private newId = (): string => randomBytes(10).toString('hex');

  private async round(): Promise<void> {
    if (this.closed || (!this.isLeader && !this.consumer.hasSessions())) return;
    const started = process.hrtime.bigint();
    try {
      const snap = await this.load();
      if (this.isLeader) await this.reconcile(snap);
      await this.consumer.refresh(snap);
    } catch (err) {
      if (err instanceof ConflictError) this.kick();
      else this.log.warn({ err: (err as Error).message }, 'reconcile round failed; retrying');
    } finally {
      this.metrics.roundSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  private async load(): Promise<
    Snapshot & {
      services: ServiceRecord[];
      progress: Record<string, UpdateProgress>;
      hb: Record<string, number>;
    }
  > {
    const [tasks, nodes, services, stacks, hb, overlay] = await Promise.all([
      this.store.listTasks(),
      this.store.listNodes(),
      this.store.listServices(),
      this.store.listStacks(),
      this.store.heartbeats(),
      this.store.getOverlay(),
    ]);
    const progress = await this.store.listProgress(services.map((s) => s.key));
    return {
      now: Date.now(),
      tasks,
      nodes,
      services,
      progress,
      hb,
      stacks: new Map(stacks.map((s) => [s.name, s.spec])),
      overlay: overlay ? (JSON.parse(overlay) as OverlayState) : undefined,
    };
  }

  private async reconcile(
    snap: Snapshot & {
      services: ServiceRecord[];
      progress: Record<string, UpdateProgress>;
      hb: Record<string, number>;
    },
  ): Promise<void> {
    const fence = this.lease!;
    const now = snap.now;
    // Node liveness from heartbeats. A new leader (or one back from a Redis outage) cannot know what it
    // missed: every node that is not already down gets a full timeout from the moment it took the lease.
    const hb = Object.fromEntries(
      snap.nodes.map((n) => [
        n.id,
        n.status === 'down' ? (snap.hb[n.id] ?? 0) : Math.max(snap.hb[n.id] ?? 0, this.leaderSince),
      ]),
    );
    const changes = nodeLiveness(snap.nodes, hb, now, this.cfg.heartbeatMs * this.cfg.nodeDownAfterMisses);
    if (changes.length) {
      const byId = new Map(snap.nodes.map((n) => [n.id, n]));
      const updated = changes.map((c) => {
        const n = byId.get(c.id)!;
        return {
          ...n,
          status: c.to,
          lastHeartbeat: hb[c.id] ?? n.lastHeartbeat,
          version: (n.version ?? 1) + 1,
        };
      });
      try {
        await this.store.apply({
          fence,
          expect: changes.map((c) => ({
            kind: 'node' as const,
            id: c.id,
            version: byId.get(c.id)!.version ?? 1,
          })),
          nodes: updated,
          events: changes.map((c) => ({ type: 'node.status' as const, node: c.id, from: c.from, to: c.to })),
        });
        for (const u of updated) byId.set(u.id, u);
        snap.nodes = [...byId.values()];
        for (const c of changes) this.log.info({ node: c.id, from: c.from, to: c.to }, 'node status');
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
    }
    const nodes: ClusterNode[] = snap.nodes;
    const plan = planCluster({
      now,
      services: snap.services,
      progress: snap.progress,
      tasks: snap.tasks,
      nodes,
      newId: this.newId,
    });
    // Overlay attachments of new tasks get their addresses before anyone sees the tasks.
    const ipam = new OverlayIpam(snap.overlay);
    const gone = new Set(plan.deletes);
    plan.upserts = ipam.allocate(
      plan.upserts,
      snap.tasks.filter((t) => !gone.has(t.id)),
      snap.stacks,
      nodes,
    );
    for (const e of ipam.errors) this.log.warn({ problem: e }, 'overlay address not allocated');
    const overlay = JSON.stringify(ipam.toJSON());
    const overlayChanged = overlay !== JSON.stringify(snap.overlay ?? new OverlayIpam().toJSON());
    const dirty =
      plan.upserts.length ||
      plan.deletes.length ||
      plan.events.length ||
      Object.keys(plan.progress).length ||
      overlayChanged;
    if (dirty) {
      await this.store.apply(
        {
          fence,
          tasks: plan.upserts,
          removeTasks: plan.deletes,
          progress: plan.progress,
          events: plan.events,
          ...(overlayChanged ? { overlay } : {}),
        },
        now,
      );
      snap.overlay = ipam.toJSON();
      this.metrics.tasksWritten.inc(plan.upserts.length);
      // Let this round's dispatch see what was just decided.
      const byId = new Map(snap.tasks.map((t) => [t.id, t]));
      for (const id of plan.deletes) byId.delete(id);
      for (const t of plan.upserts) {
        const cur = byId.get(t.id);
        byId.set(t.id, cur && cur.status.state > t.status.state ? { ...t, status: cur.status } : t);
      }
      snap.tasks = [...byId.values()];
    }
    for (const key of plan.rollbacks) {
      const rec = snap.services.find((s) => s.key === key);
      const next = rec && withRollback(rec, now);
      if (!rec || !next) continue;
      await this.store
        .apply({
          fence,
          expect: [{ kind: 'service', id: key, version: rec.version }],
          services: [next],
          events: [
            {
              type: 'service.updated',
              stack: rec.stack,
              service: rec.name,
              message: 'automatic rollback (failure_action rollback)',
            },
          ],
        })
        .catch((err: unknown) => {
          if (!(err instanceof ConflictError)) throw err;
        });
    }
  }
}
