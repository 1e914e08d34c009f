// Agent dispatcher: one WebSocket session per agent (/v1/agent). Hello with the join token creates a node and
// its credential; hello with node id + credential resumes it (idempotent reconnects). Each session gets its
// full assignment set on connect, then versioned deltas; a `resync` gets a full set again. Heartbeats and task
// status reports go straight to the store (status only from the task's own node, only forward). Requests
// (logs, exec) are relayed to the agent and its responses back to the caller.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import WebSocket from 'ws';
import type {
  AgentMessage,
  AssignmentSet,
  ControllerMessage,
  FileObjectSpec,
  HelloMessage,
  IngressPort,
  NetworkAssignment,
  RequestMessage,
  StackSpec,
  Task,
  TaskStatus,
  VolumeSpec,
} from '@tsstack/model';
import { ConflictError, plainNetwork } from '@tsstack/model';
import { assignmentTasks } from '@tsstack/planner';
import type { NodeRecord, StateStore } from '@tsstack/store';
import type { ControllerConfig } from '../config/controller-config';
import type { Snapshot, SnapshotConsumer } from '../reconcile/cluster-engine';
import { OverlayIpam } from '../reconcile/overlay-ipam';
import type { ControllerMetrics } from '../api/controller-metrics';
import { nodeView } from '../domain/node-ops.service';
import { DEFAULT_STATS_LIMITS, StatsEventGate } from './stats-event-gate';

export type Reply = (done: boolean, data?: unknown, error?: string) => void;

interface Session {
  ws: WebSocket;
  nodeId: string;
  version: number;
  /** Fingerprint of each task last sent. */
  sent: Map<string, string>;
  sentExtras: string;
  sentNetworks: Map<string, string>;
  /** No full set sent yet (welcome done, first refresh pending). */
  needFull: boolean;
  requests: Map<string, Reply>;
}

/** The agent may not join: wrong token or credential. Sent to the agent as `reject`. */
class JoinRefusedError extends Error {}

function hash(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** What the agent cares about changed: the controller bumps updatedAt on every write of a task. */
function fingerprint(t: Task): string {
  return `${t.updatedAt}|${t.desiredState}|${t.nodeId ?? ''}`;
}

export class AgentDispatcher implements SnapshotConsumer {
  readonly wss = new WebSocket.Server({ noServer: true, maxPayload: 16 * 2 ** 20 });
  private readonly sessions = new Map<string, Session>();
  onChange?: () => void;
  /** This controller's id: recorded in Redis as the holder of each session. */
  controllerId = '';
  private readonly held: Array<{ nodeId: string; taskId: string; status: TaskStatus }> = [];
  private flushing = false;
  private retry?: NodeJS.Timeout;
  private readonly statsGate = new StatsEventGate(DEFAULT_STATS_LIMITS, Date.now());

  constructor(
    private readonly store: StateStore,
    private readonly cfg: ControllerConfig,
    private readonly joinToken: () => string,
    private readonly log: Logger,
    private readonly metrics: ControllerMetrics,
  ) {
    this.wss.on('connection', (ws) => this.accept(ws));
  }

  /**
   * Status reports are written in batches (one atomic script call per turn of the event loop, every report
   * kept in order so each state change still gets its event). While Redis is away they are held and written
   * when it is back.
   */
  private queueStatus(nodeId: string, taskId: string, status: TaskStatus): void {
    this.held.push({ nodeId, taskId, status });
    if (!this.flushing && !this.retry) this.retry = setTimeout(() => void this.flushHeld(), 0);
  }

  private async flushHeld(): Promise<void> {
    this.retry = undefined;
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.held.length) {
        const batch = this.held.slice(0, 2000);
        try {
          await this.store.reportStatuses(batch);
          this.held.splice(0, batch.length);
        } catch (err) {
          this.log.debug({ err: (err as Error).message, held: this.held.length }, 'status reports held');
          if (this.held.length > 100_000) this.held.splice(0, this.held.length - 100_000);
          this.retry = setTimeout(() => void this.flushHeld(), 500);
          return;
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  hasSessions(): boolean {
    return this.sessions.size > 0;
  }

  connectedNodes(): string[] {
    return [...this.sessions.keys()];
  }

  async close(): Promise<void> {
    clearTimeout(this.retry);
    for (const s of this.sessions.values()) s.ws.terminate();
    this.sessions.clear();
    await new Promise<void>((r) => this.wss.close(() => r()));
  }

  private send(ws: WebSocket, m: ControllerMessage): void {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m));
  }

  private accept(ws: WebSocket): void {
    let session: Session | undefined;
    const hello = setTimeout(() => ws.terminate(), 10_000);
    ws.on('message', (raw) => {
      let m: AgentMessage;
      try {
        m = JSON.parse(raw.toString()) as AgentMessage;
      } catch {
        return;
      }
      if (!session) {
        if (m.type !== 'hello') return;
        clearTimeout(hello);
        void this.hello(ws, m)
          .then((s) => {
            session = s;
          })
          .catch((err: Error) => {
            // Only a refusal is final for the agent; anything else (Redis away, a race) closes the socket
            // and the agent reconnects with backoff.
            if (err instanceof JoinRefusedError) this.send(ws, { type: 'reject', reason: err.message });
            else this.log.warn({ err: err.message }, 'agent hello failed; it will reconnect');
            ws.close();
          });
        return;
      }
      void this.onMessage(session, m).catch((err: Error) =>
        this.log.warn({ node: session?.nodeId, err: err.message }, 'agent message failed'),
      );
    });
    ws.on('close', () => {
      clearTimeout(hello);
      if (session && this.sessions.get(session.nodeId) === session) {
        this.sessions.delete(session.nodeId);
        this.metrics.agents.set(this.sessions.size);
        for (const reply of session.requests.values()) reply(true, undefined, 'agent disconnected');
        void this.store.clearSessionOwner(session.nodeId, this.controllerId).catch(() => undefined);
        this.log.info({ node: session.nodeId }, 'agent disconnected');
      }
    });
    ws.on('error', () => undefined);
  }

  private async hello(ws: WebSocket, h: HelloMessage): Promise<Session> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.helloOnce(ws, h);
      } catch (err) {
        // The leader may have written the node (status) between our read and write: read again.
        if (!(err instanceof ConflictError) || attempt >= 5) throw err;
      }
    }
  }

  private async helloOnce(ws: WebSocket, h: HelloMessage): Promise<Session> {
    const now = Date.now();
    let node: NodeRecord;
    let credential: string;
    if (h.nodeId && h.credential) {
      const cur = await this.store.getNode(h.nodeId);
      if (!cur || !sameSecret(cur.credentialHash, hash(h.credential))) {
        throw new JoinRefusedError(
          `unknown node ${h.nodeId} or wrong credential: join again with a fresh state dir and the join token`,
        );
      }
      credential = h.credential;
      node = {
        ...cur,
        address: h.address,
        hostRoutes: h.hostRoutes,
        resources: h.resources,
        agentVersion: h.agentVersion,
        status: 'ready',
        lastHeartbeat: now,
        version: (cur.version ?? 1) + 1,
      };
      await this.store.apply({
        expect: [{ kind: 'node', id: cur.id, version: cur.version ?? 1 }],
        nodes: [node],
        events:
          cur.status !== 'ready'
            ? [
                {
                  type: 'node.status',
                  node: cur.id,
                  from: cur.status,
                  to: 'ready',
                  message: 'agent reconnected',
                },
              ]
            : [],
      });
    } else {
      if (!h.joinToken || !sameSecret(h.joinToken, this.joinToken())) {
        throw new JoinRefusedError('invalid join token: get the current one with `tsstack node join-token`');
      }
      credential = randomBytes(24).toString('hex');
      node = {
        id: randomBytes(8).toString('hex'),
        hostname: h.hostname,
        role: 'worker',
        labels: h.labels ?? {},
        availability: 'active',
        status: 'ready',
        address: h.address,
        hostRoutes: h.hostRoutes,
        resources: h.resources,
        lastHeartbeat: now,
        agentVersion: h.agentVersion,
        version: 1,
        credentialHash: hash(credential),
      };
      await this.store.apply({
        expect: [{ kind: 'node', id: node.id, version: 0 }],
        nodes: [node],
        events: [{ type: 'node.joined', node: node.id, message: h.hostname }],
      });
    }
    await this.store.heartbeat(node.id, now);
    await this.store.setSessionOwner(node.id, this.controllerId);
    const old = this.sessions.get(node.id);
    if (old) old.ws.terminate();
    const s: Session = {
      ws,
      nodeId: node.id,
      version: 0,
      sent: new Map(),
      sentExtras: '',
      sentNetworks: new Map(),
      needFull: true,
      requests: new Map(),
    };
    this.sessions.set(node.id, s);
    this.metrics.agents.set(this.sessions.size);
    this.send(ws, { type: 'welcome', node: nodeView(node), credential, heartbeatMs: this.cfg.heartbeatMs });
    this.log.info({ node: node.id, hostname: h.hostname }, 'agent connected');
    // The full set goes out with the next round, from fresh state (never from an old snapshot).
    this.onChange?.();
    return s;
  }

  private async onMessage(s: Session, m: AgentMessage): Promise<void> {
    switch (m.type) {
      case 'heartbeat':
        await this.store.heartbeat(s.nodeId);
        break;
      case 'task.status':
        this.metrics.statusReports.inc();
        this.queueStatus(s.nodeId, m.taskId, m.status);
        break;
      case 'task.stats': {
        // Only tasks this node was given; the gate keeps the capped stream from filling with stats.
        const own = (m.samples ?? []).filter((x) => s.sent.has(x.taskId));
        const events = this.statsGate.admit(s.nodeId, own, Date.now());
        if (events.length) await this.store.apply({ events });
        break;
      }
      case 'resync':
        s.needFull = true;
        this.onChange?.();
        break;
      case 'response': {
        const reply = s.requests.get(m.requestId);
        if (!reply) break;
        if (m.done) s.requests.delete(m.requestId);
        reply(m.done, m.data, m.error);
        break;
      }
      default:
        break;
    }
  }

  /** Relay a request to the agent of `nodeId`; returns a cancel function. Throws when it is not connected here. */
  request(
    nodeId: string,
    op: RequestMessage['op'],
    taskId: string,
    args: Record<string, unknown>,
    reply: Reply,
  ): { id: string; cancel(): void } {
    const s = this.sessions.get(nodeId);
    if (!s) throw new Error(`node ${nodeId} is not connected to this controller`);
    const requestId = randomBytes(8).toString('hex');
    s.requests.set(requestId, reply);
    this.send(s.ws, { type: 'request', requestId, op, taskId, args });
    return {
      id: requestId,
      cancel: () => {
        if (!s.requests.delete(requestId)) return;
        this.send(s.ws, {
          type: 'request',
          requestId: randomBytes(8).toString('hex'),
          op: 'cancel',
          taskId,
          args: { requestId },
        });
      },
    };
  }

  /** Send a follow-up message (exec stdin, resize) for a request. */
  followUp(nodeId: string, op: RequestMessage['op'], taskId: string, args: Record<string, unknown>): void {
    const s = this.sessions.get(nodeId);
    if (s) this.send(s.ws, { type: 'request', requestId: randomBytes(8).toString('hex'), op, taskId, args });
  }

  async refresh(snap: Snapshot): Promise<void> {
    for (const s of this.sessions.values()) this.push(s, snap);
  }

  /**
   * The networks the node's tasks are on, from their stacks. Bridge networks are local to the node (its own
   * IPAM picks subnet and addresses); overlay networks carry what the leader allocated (subnet, VNI, VIPs,
   * node addresses) and the endpoints of every task on them, cluster-wide.
   */
  private networks(nodeId: string, tasks: Task[], snap: Snapshot): NetworkAssignment[] {
    const stackOf = new Map<string, string>();
    for (const t of tasks) for (const n of t.networks) stackOf.set(n.network, t.stack);
    // Overlays this node holds an address on without a task there: the routing mesh forwards through them.
    for (const [id, stack] of OverlayIpam.nodeNetworks(snap.overlay, nodeId, snap.stacks))
      stackOf.set(id, stack);
    const nodes = new Map(snap.nodes.map((n) => [n.id, n]));
    const out: NetworkAssignment[] = [];
    for (const [id, stack] of [...stackOf].sort(([a], [b]) => a.localeCompare(b))) {
      const overlay = OverlayIpam.assignment(snap.overlay, id, stack, snap.stacks, snap.tasks, nodes);
      if (overlay) {
        out.push(overlay);
        continue;
      }
      const name = id.slice(stack.length + 1);
      const spec = snap.stacks.get(stack)?.networks?.[name] ?? plainNetwork(name, 'bridge');
      out.push({ id, stack, spec, subnet: '', gateway: '', vips: {}, endpoints: [] });
    }
    return out;
  }

  private extras(tasks: Task[], stacks: Map<string, StackSpec>) {
    const volumes: VolumeSpec[] = [];
    const configs: Record<string, FileObjectSpec> = {};
    const secrets: Record<string, FileObjectSpec> = {};
    for (const name of [...new Set(tasks.map((t) => t.stack))].sort()) {
      const st = stacks.get(name);
      if (!st) continue;
      for (const v of Object.values(st.volumes ?? {})) volumes.push({ ...v, name: `${name}_${v.name}` });
      for (const [k, c] of Object.entries(st.configs ?? {})) configs[`${name}_${k}`] = c;
      for (const [k, c] of Object.entries(st.secrets ?? {})) secrets[`${name}_${k}`] = c;
    }
    // Published ingress ports of every stack: each node accepts them (routing mesh).
    const ingress: IngressPort[] = [];
    for (const [name, st] of [...stacks.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      for (const [svc, spec] of Object.entries(st.services ?? {})) {
        for (const p of spec.ports ?? []) {
          if (p.mode !== 'ingress' || !p.published) continue;
          ingress.push({
            stack: name,
            service: svc,
            published: p.published,
            target: p.target,
            protocol: p.protocol,
            localOnly: p.localOnly ?? false,
          });
        }
      }
    }
    return { volumes, configs, secrets, ingress };
  }

  private push(s: Session, snap: Snapshot): void {
    const tasks = assignmentTasks(
      snap.tasks,
      s.nodeId,
      snap.now,
      this.cfg.dropStoppingAfterMs,
      this.cfg.endpointDrainMs,
      (t) => OverlayIpam.routedFromOtherNodes(snap.overlay, t),
    );
    const extras = this.extras(tasks, snap.stacks);
    const networks = this.networks(s.nodeId, tasks, snap);
    const extrasJson = JSON.stringify(extras);
    const netJson = new Map(networks.map((n) => [n.id, JSON.stringify(n)]));
    if (s.needFull) {
      s.needFull = false;
      s.version += 1;
      s.sent = new Map(tasks.map((t) => [t.id, fingerprint(t)]));
      s.sentExtras = extrasJson;
      s.sentNetworks = netJson;
      const set: AssignmentSet = { version: s.version, tasks, networks, ...extras };
      this.send(s.ws, { type: 'assignments.full', set });
      return;
    }
    const upsertTasks: Task[] = [];
    const seen = new Set<string>();
    for (const t of tasks) {
      seen.add(t.id);
      const f = fingerprint(t);
      if (s.sent.get(t.id) !== f) {
        upsertTasks.push(t);
        s.sent.set(t.id, f);
      }
    }
    const removeTasks = [...s.sent.keys()].filter((id) => !seen.has(id));
    for (const id of removeTasks) s.sent.delete(id);
    const extrasChanged = extrasJson !== s.sentExtras;
    const upsertNetworks = networks.filter((n) => s.sentNetworks.get(n.id) !== netJson.get(n.id));
    const removeNetworks = [...s.sentNetworks.keys()].filter((id) => !netJson.has(id));
    if (
      !upsertTasks.length &&
      !removeTasks.length &&
      !extrasChanged &&
      !upsertNetworks.length &&
      !removeNetworks.length
    ) {
      return;
    }
    s.sentExtras = extrasJson;
    s.sentNetworks = netJson;
    const base = s.version;
    s.version += 1;
    this.send(s.ws, {
      type: 'assignments.delta',
      baseVersion: base,
      version: s.version,
      upsertTasks,
      removeTasks,
      upsertNetworks,
      removeNetworks,
      ...(extrasChanged ? extras : {}),
    });
  }
}
