// WebSocket session to the controller (/v1/agent): hello with the join token (first time) or the stored node
// id + credential, heartbeats, reconnect with backoff, full resync on every connect, versioned deltas (a gap
// asks for a resync), newest-per-task status reports, and requests answered by a handler.
import WebSocket from 'ws';
import * as os from 'node:os';
import type {
  AgentMessage,
  AssignmentSet,
  ControllerMessage,
  HelloMessage,
  RequestMessage,
  TaskStatus,
  TaskStatsSample,
  ClusterNode,
} from '@tsstack/model';
import { applyDelta, emptySet } from './assignment-book';
import { StatusOutbox } from './status-outbox';
import { reconnectDelay } from './backoff';
import type { StateDir } from '../state/state-dir';
import { AgentJoinError } from '../errors';
import { netlink } from '@tsstack/network';

export interface SessionOptions {
  controllerUrl: string;
  joinToken: string;
  state: StateDir;
  name?: string;
  labels?: Record<string, string>;
  address?: string;
  /** The host's routes (CIDRs) for the hello; the controller keeps overlay subnets clear of them. */
  hostRoutes?(): Promise<string[]>;
  onAssignments(set: AssignmentSet): void;
  onRequest?(req: RequestMessage, reply: (done: boolean, data?: unknown, error?: string) => void): void;
  log?(msg: string): void;
}

export function agentWsUrl(controllerUrl: string): string {
  const u = new URL(controllerUrl.includes('://') ? controllerUrl : `http://${controllerUrl}`);
  u.protocol = u.protocol === 'https:' || u.protocol === 'wss:' ? 'wss:' : 'ws:';
  u.pathname = '/v1/agent';
  return u.toString();
}

/** `--controller a:7700,b:7700`: every controller the agent may use, tried in turn when one is out of reach. */
export function controllerUrls(list: string): string[] {
  const urls = list
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  if (!urls.length) throw new Error('no controller address given');
  return urls;
}

/** Destination CIDRs of this network namespace's routes; none when netlink cannot be read. */
async function hostRouteCidrs(): Promise<string[]> {
  try {
    const routes = await netlink.routes();
    return [...new Set(routes.map((r) => r.dst).filter((d) => d && d !== 'default'))];
  } catch {
    return [];
  }
}

export class AgentSession {
  private ws?: WebSocket;
  private set: AssignmentSet = emptySet();
  private readonly outbox = new StatusOutbox();
  private heartbeat?: NodeJS.Timeout;
  private retry?: NodeJS.Timeout;
  private attempt = 0;
  /** Which of the controller addresses the next connection goes to; advanced on every reconnect. */
  private urlIndex = 0;
  private closed = false;
  private live = false;
  node?: ClusterNode;

  constructor(private readonly opts: SessionOptions) {}

  /** Connect and wait for the first welcome; rejects with AgentJoinError when refused. */
  start(): Promise<ClusterNode> {
    return new Promise((resolve, reject) => {
      this.connect(resolve, reject);
    });
  }

  get assignments(): AssignmentSet {
    return this.set;
  }

  reportStatus(taskId: string, status: TaskStatus): void {
    this.outbox.put(taskId, status);
    this.flush();
  }

  /** Stats are a sample of now: while disconnected they are dropped, not held. */
  reportStats(samples: TaskStatsSample[]): void {
    this.send({ type: 'task.stats', samples });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.retry);
    const ws = this.ws;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((r) => {
        ws.once('close', () => r());
        ws.close();
        setTimeout(() => {
          ws.terminate();
          r();
        }, 1000).unref();
      });
    }
  }

  private send(m: AgentMessage): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN || !this.live) return false;
    this.ws.send(JSON.stringify(m));
    return true;
  }

  private flush(): void {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN || !this.live) return;
    for (const [taskId, status] of this.outbox.drain()) this.send({ type: 'task.status', taskId, status });
  }

  private async hello(): Promise<HelloMessage> {
    const id = await this.opts.state.readIdentity();
    const base = {
      type: 'hello' as const,
      hostname: this.opts.name ?? os.hostname(),
      address: this.opts.address ?? '127.0.0.1',
      labels: this.opts.labels ?? {},
      resources: { nanoCpus: os.cpus().length * 1e9, memoryBytes: os.totalmem() },
      agentVersion: '0.1.0',
      hostRoutes: await (this.opts.hostRoutes ?? hostRouteCidrs)(),
    };
    return id
      ? { ...base, nodeId: id.nodeId, credential: id.credential }
      : { ...base, joinToken: this.opts.joinToken };
  }

  private connect(onFirst?: (n: ClusterNode) => void, onFirstErr?: (e: Error) => void): void {
    if (this.closed) return;
    const urls = controllerUrls(this.opts.controllerUrl);
    const ws = new WebSocket(agentWsUrl(urls[this.urlIndex % urls.length]));
    this.ws = ws;
    let welcomed = false;
    ws.on('open', () => {
      void this.hello().then((h) => ws.send(JSON.stringify(h)));
    });
    ws.on('message', (raw) => {
      let m: ControllerMessage;
      try {
        m = JSON.parse(raw.toString()) as ControllerMessage;
      } catch {
        return;
      }
      switch (m.type) {
        case 'welcome':
          welcomed = true;
          this.attempt = 0;
          this.node = m.node;
          this.live = true;
          void this.opts.state
            .writeIdentity({
              nodeId: m.node.id,
              credential: m.credential,
              controllerUrl: this.opts.controllerUrl,
            })
            .then(() => {
              onFirst?.(m.node);
              onFirst = undefined;
              onFirstErr = undefined;
            });
          clearInterval(this.heartbeat);
          this.heartbeat = setInterval(() => this.send({ type: 'heartbeat' }), Math.max(m.heartbeatMs, 100));
          this.flush();
          break;
        case 'reject':
          if (onFirstErr) onFirstErr(new AgentJoinError(m.reason));
          else this.opts.log?.(`controller rejected the agent: ${m.reason}`);
          onFirstErr = undefined;
          onFirst = undefined;
          this.closed = this.closed || !welcomed;
          ws.close();
          break;
        case 'assignments.full':
          this.set = m.set;
          this.opts.onAssignments(this.set);
          break;
        case 'assignments.delta': {
          const next = applyDelta(this.set, m);
          if (!next) {
            this.send({ type: 'resync' });
            break;
          }
          this.set = next;
          this.opts.onAssignments(this.set);
          break;
        }
        case 'request':
          if (this.opts.onRequest) {
            this.opts.onRequest(m, (done, data, error) =>
              this.send({ type: 'response', requestId: m.requestId, done, data, error }),
            );
          } else {
            this.send({
              type: 'response',
              requestId: m.requestId,
              done: true,
              error: 'not supported by this agent',
            });
          }
          break;
      }
    });
    ws.on('error', (err) => {
      this.opts.log?.(`controller connection: ${err.message}`);
    });
    ws.on('close', () => {
      clearInterval(this.heartbeat);
      this.live = false;
      if (this.closed) return;
      // The next controller on the list gets the next try: one that is down must not cut this node off.
      this.urlIndex++;
      const delay = reconnectDelay(this.attempt++);
      this.retry = setTimeout(() => this.connect(onFirst, onFirstErr), delay);
    });
  }
}
