// Requests to agents (logs, exec) from any controller: an agent connected here is asked directly; one held
// by another controller is reached through that controller's relay channel in Redis (pub/sub), and its
// answers come back the same way. The node -> controller map is kept in Redis by every dispatcher.
import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import type { RequestMessage } from '@tsstack/model';
import type { StateStore } from '@tsstack/store';
import type { AgentDispatcher, Reply } from './agent-dispatcher';

type Op = RequestMessage['op'];

type RelayMessage =
  | {
      k: 'req';
      from: string;
      id: string;
      nodeId: string;
      op: Op;
      taskId: string;
      args: Record<string, unknown>;
    }
  | { k: 'res'; id: string; done: boolean; data?: unknown; error?: string }
  | { k: 'cancel'; id: string }
  | { k: 'follow'; id: string; nodeId: string; op: Op; taskId: string; args: Record<string, unknown> };

export interface RequestHandle {
  id: string;
  nodeId: string;
  remote: boolean;
  cancel(): void;
}

export class RequestRouter {
  private sub?: Redis;
  private readonly pending = new Map<string, Reply>();
  private readonly served = new Map<string, { id: string; cancel(): void }>();

  constructor(
    private readonly store: StateStore,
    private readonly dispatcher: AgentDispatcher,
    private readonly controllerId: string,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const sub = this.store.redis.duplicate({ enableOfflineQueue: true });
    sub.on('error', () => undefined);
    await sub.subscribe(this.store.relayChannel(this.controllerId)).catch(() => undefined);
    sub.on('message', (_ch: string, raw: string) => {
      try {
        this.onRelay(JSON.parse(raw) as RelayMessage);
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'bad relay message');
      }
    });
    this.sub = sub;
  }

  close(): void {
    this.sub?.disconnect();
    for (const r of this.served.values()) r.cancel();
    for (const reply of this.pending.values()) reply(true, undefined, 'controller closing');
    this.pending.clear();
  }

  private send(controllerId: string, m: RelayMessage): void {
    void this.store
      .publish(this.store.relayChannel(controllerId), m)
      .catch((err: Error) => this.log.warn({ err: err.message }, 'relay publish failed'));
  }

  /** Ask the agent of `nodeId`, wherever it is connected. Throws when no controller holds it. */
  async request(
    nodeId: string,
    op: Op,
    taskId: string,
    args: Record<string, unknown>,
    reply: Reply,
  ): Promise<RequestHandle> {
    if (this.dispatcher.connectedNodes().includes(nodeId)) {
      const r = this.dispatcher.request(nodeId, op, taskId, args, reply);
      return { id: r.id, nodeId, remote: false, cancel: r.cancel };
    }
    const owner = await this.store.sessionOwner(nodeId);
    if (!owner || owner === this.controllerId)
      throw new Error(`node ${nodeId} is not connected to any controller`);
    const id = randomBytes(8).toString('hex');
    this.pending.set(id, reply);
    this.send(owner, { k: 'req', from: this.controllerId, id, nodeId, op, taskId, args });
    return {
      id,
      nodeId,
      remote: true,
      cancel: () => {
        if (this.pending.delete(id)) this.send(owner, { k: 'cancel', id });
      },
    };
    // (follow-ups find the owner again: sessions rarely move while an exec runs)
  }

  /** exec stdin/resize for a request made with `request`. */
  followUp(h: RequestHandle, op: Op, taskId: string, args: Record<string, unknown>): void {
    if (!h.remote) {
      this.dispatcher.followUp(h.nodeId, op, taskId, { ...args, execId: h.id });
      return;
    }
    void this.store.sessionOwner(h.nodeId).then((owner) => {
      if (owner) this.send(owner, { k: 'follow', id: h.id, nodeId: h.nodeId, op, taskId, args });
    });
  }

  private onRelay(m: RelayMessage): void {
    switch (m.k) {
      case 'req':
        try {
          const r = this.dispatcher.request(m.nodeId, m.op, m.taskId, m.args, (done, data, error) => {
            if (done) this.served.delete(m.id);
            this.send(m.from, { k: 'res', id: m.id, done, data, error });
          });
          this.served.set(m.id, r);
        } catch (err) {
          this.send(m.from, { k: 'res', id: m.id, done: true, error: (err as Error).message });
        }
        break;
      case 'res': {
        const reply = this.pending.get(m.id);
        if (!reply) break;
        if (m.done) this.pending.delete(m.id);
        reply(m.done, m.data, m.error);
        break;
      }
      case 'cancel':
        this.served.get(m.id)?.cancel();
        this.served.delete(m.id);
        break;
      case 'follow': {
        const local = this.served.get(m.id);
        if (local) this.dispatcher.followUp(m.nodeId, m.op, m.taskId, { ...m.args, execId: local.id });
        break;
      }
    }
  }
}
