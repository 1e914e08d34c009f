// Test helpers for controller integration tests: a controller on an ephemeral port with its own data dir
// (embedded redis-server unless a URL is given), a small REST client, an events client and polling.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import WebSocket from 'ws';
import type { TsstackEvent } from '@tsstack/model';
import { startController, type ControllerHandle } from '@tsstack/controller';

export interface Ctl extends ControllerHandle {
  dataDir: string;
  api<T = unknown>(
    method: string,
    p: string,
    body?: unknown,
    token?: string | null,
  ): Promise<{ status: number; body: T }>;
}

export async function tempDir(prefix: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

export async function ctl(
  dataDir: string,
  over: Partial<Parameters<typeof startController>[0]> = {},
): Promise<Ctl> {
  const h = await startController({
    listen: '127.0.0.1:0',
    dataDir,
    heartbeatMs: 200,
    nodeDownAfterMisses: 3,
    leaseMs: 1000,
    logLevel: process.env.TSSTACK_TEST_LOG ?? 'silent',
    ...over,
  });
  return Object.assign(h, {
    dataDir,
    async api<T>(method: string, p: string, body?: unknown, token: string | null = h.token) {
      const res = await fetch(h.url + p, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        /* NDJSON or text */
      }
      return { status: res.status, body: parsed as T };
    },
  });
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  ms = 10_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Collects events from /v1/events until closed. */
export class EventClient {
  readonly events: TsstackEvent[] = [];
  closedWith?: { code: number; reason: string };
  private ws: WebSocket;
  readonly opened: Promise<void>;
  constructor(url: string, token: string, query = '') {
    this.ws = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/events${query}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    this.ws.on('message', (d) => this.events.push(JSON.parse(String(d)) as TsstackEvent));
    this.ws.on('close', (code, reason) => (this.closedWith = { code, reason: reason.toString() }));
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
      this.ws.once('unexpected-response', (_q, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }
  close(): void {
    this.ws.terminate();
  }
}

/** A minimal normalized-enough service for the API (the controller fills the defaults). */
export function service(image: string, replicas = 1, deploy: Record<string, unknown> = {}) {
  return { image, deploy: { replicas, ...deploy } };
}
