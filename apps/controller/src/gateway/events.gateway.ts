// WebSocket /v1/events: streams typed JSON events from the Redis Stream, filtered by stack/service/type.
// `since=<id>` resumes right after that id (no gap, no duplicate: the stream id is the cursor); without it the
// stream starts at the newest event. Each client reads with its own blocking connection, so memory does not
// grow with history; a client that does not keep up (send buffer over the limit) is cut off with a reason.
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import WebSocket from 'ws';
import type { TsstackEvent } from '@tsstack/model';
import type { StateStore } from '@tsstack/store';
import type { ControllerMetrics } from '../api/controller-metrics';

export const SLOW_CLIENT_BYTES = 8 * 2 ** 20;

export interface EventFilter {
  since?: string;
  stack?: string;
  service?: string;
  types?: string[];
}

export function matches(e: TsstackEvent, f: EventFilter): boolean {
  if (f.stack && e.stack !== f.stack) return false;
  if (f.service && e.service !== f.service) return false;
  if (f.types?.length && !f.types.some((t) => e.type === t || e.type.startsWith(`${t}.`))) return false;
  return true;
}

/** Order of two stream ids ("ms-seq"). */
export function compareIds(a: string, b: string): number {
  const [am, as = '0'] = a.split('-');
  const [bm, bs = '0'] = b.split('-');
  return Number(am) - Number(bm) || Number(as) - Number(bs);
}

export function filterFromQuery(q: URLSearchParams): EventFilter {
  const types = [...q.getAll('type'), ...(q.get('types')?.split(',') ?? [])].filter(Boolean);
  return {
    since: q.get('since') ?? undefined,
    stack: q.get('stack') ?? undefined,
    service: q.get('service') ?? undefined,
    ...(types.length ? { types } : {}),
  };
}

export class EventsGateway {
  readonly wss = new WebSocket.Server({ noServer: true });
  private readonly conns = new Set<Redis>();
  private closed = false;

  constructor(
    private readonly store: StateStore,
    private readonly log: Logger,
    private readonly metrics: ControllerMetrics,
    private readonly slowBytes = SLOW_CLIENT_BYTES,
  ) {}

  handle(ws: WebSocket, filter: EventFilter): void {
    this.metrics.eventClients.inc();
    let open = true;
    ws.on('close', () => {
      open = false;
      this.metrics.eventClients.dec();
    });
    ws.on('error', () => undefined);
    void this.pump(ws, filter, () => open);
  }

  private async pump(ws: WebSocket, f: EventFilter, isOpen: () => boolean): Promise<void> {
    const conn = this.store.redis.duplicate({ lazyConnect: true, enableOfflineQueue: false });
    conn.on('error', () => undefined);
    this.conns.add(conn);
    try {
      let cursor = f.since && /^\d+(-\d+)?$/.test(f.since) ? f.since : undefined;
      if (cursor && cursor !== '0' && cursor !== '0-0') {
        const keptFrom = await this.store.eventsKeptFrom().catch(() => undefined);
        if (keptFrom && compareIds(cursor, keptFrom) < 0) {
          ws.send(
            JSON.stringify({
              id: cursor,
              time: Date.now(),
              type: 'stream.gap',
              message: `events after ${cursor} and before ${keptFrom} were dropped (the stream is capped): re-read state with the REST API`,
            }),
          );
        }
      }
      while (isOpen() && !this.closed) {
        try {
          if (conn.status === 'wait') await conn.connect();
          cursor ??= await this.store.lastEventId();
          const events = await this.store.tailEvents(conn, cursor, 1000);
          for (const e of events) {
            cursor = e.id;
            if (!matches(e, f)) continue;
            ws.send(JSON.stringify(e));
          }
          if (ws.bufferedAmount > this.slowBytes) {
            setTimeout(() => ws.terminate(), 5000).unref(); // frees the buffer if it never reads again
            ws.close(
              1008,
              `slow consumer: more than ${this.slowBytes} bytes unread; reconnect with since=${cursor}`,
            );
            return;
          }
        } catch (err) {
          if (!isOpen() || this.closed) return;
          this.log.debug({ err: (err as Error).message }, 'event stream read failed; retrying');
          await new Promise((r) => setTimeout(r, 300));
        }
      }
    } finally {
      this.conns.delete(conn);
      conn.disconnect();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const c of this.conns) c.disconnect();
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((r) => this.wss.close(() => r()));
  }
}
