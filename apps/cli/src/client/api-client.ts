// Typed HTTP client of the controller's REST API (Node 20 fetch). Maps "no answer" to
// ControllerUnreachableError and {error:{code,message,issues}} bodies to ApiError.
import { ApiError, ControllerUnreachableError } from './cli-errors';
import type { TsstackEvent } from '@tsstack/model';
import type { ServicePlan, StackSummary, TaskRow } from './api-types';
import { streamEvents } from './ws-client';

export type FetchFn = typeof fetch;

export class ApiClient {
  constructor(
    readonly url: string,
    private readonly token: string | undefined,
    private readonly fetchFn: FetchFn = fetch,
    private readonly timeoutMs = 15_000,
  ) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await this.fetchFn(`${this.url}${path}`, {
        method,
        headers: {
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new ControllerUnreachableError(this.url, err);
    }
    const text = await res.text();
    let json: unknown = undefined;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const e = (json as { error?: { code?: string; message?: string; issues?: unknown[] } } | undefined)
        ?.error;
      throw new ApiError(
        res.status,
        e?.code ?? `HTTP_${res.status}`,
        e?.message ?? (text.slice(0, 200) || res.statusText),
        e?.issues ?? [],
      );
    }
    return json as T;
  }

  /** A streaming GET (NDJSON logs): the response body once the status is 2xx. */
  async stream(path: string): Promise<AsyncIterable<Uint8Array>> {
    let res: Response;
    try {
      res = await this.fetchFn(`${this.url}${path}`, {
        headers: this.token ? { authorization: `Bearer ${this.token}` } : {},
      });
    } catch (err) {
      throw new ControllerUnreachableError(this.url, err);
    }
    if (!res.ok || !res.body) {
      const text = await res.text();
      let e: { code?: string; message?: string } | undefined;
      try {
        e = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
      } catch {
        e = undefined;
      }
      throw new ApiError(
        res.status,
        e?.code ?? `HTTP_${res.status}`,
        e?.message ?? (text.slice(0, 200) || res.statusText),
      );
    }
    return res.body as unknown as AsyncIterable<Uint8Array>;
  }

  health(): Promise<unknown> {
    return this.request('GET', '/health');
  }
  plan(stack: string, spec: unknown, removeOrphans = false): Promise<{ plan: ServicePlan[] }> {
    return this.request('POST', `/v1/stacks/${enc(stack)}/plan`, { stack: spec, removeOrphans });
  }
  /** Services of the stack that are not in `spec` are kept (orphans) unless `removeOrphans`. */
  deploy(
    stack: string,
    spec: unknown,
    opts: { expectedVersion?: number; removeOrphans?: boolean } = {},
  ): Promise<{ version: number; plan: ServicePlan[] }> {
    return this.request('PUT', `/v1/stacks/${enc(stack)}`, { stack: spec, ...opts });
  }
  listStacks(): Promise<StackSummary[]> {
    return this.request('GET', '/v1/stacks');
  }
  removeStack(stack: string, volumes: boolean): Promise<unknown> {
    return this.request('DELETE', `/v1/stacks/${enc(stack)}${volumes ? '?volumes=true' : ''}`);
  }
  /** The event stream (/v1/events over WebSocket), until the server closes it or `signal` aborts. */
  events(
    query: Record<string, string | undefined>,
    onEvent: (e: TsstackEvent) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    return streamEvents(this.url, this.token, query, onEvent, signal);
  }

  listTasks(q: { stack?: string; service?: string; all?: boolean }): Promise<TaskRow[]> {
    const p = new URLSearchParams();
    if (q.stack) p.set('stack', q.stack);
    if (q.service) p.set('service', q.service);
    if (q.all) p.set('all', '1');
    const qs = p.toString();
    return this.request('GET', `/v1/tasks${qs ? `?${qs}` : ''}`);
  }
  listServices(stack?: string): Promise<unknown[]> {
    return this.request('GET', `/v1/services${stack ? `?stack=${enc(stack)}` : ''}`);
  }
  scale(stack: string, service: string, replicas: number): Promise<unknown> {
    return this.request('POST', `/v1/services/${enc(stack)}/${enc(service)}/scale`, { replicas });
  }
  serviceAction(
    stack: string,
    service: string,
    action: 'update' | 'rollback' | 'restart',
    body: unknown = {},
  ): Promise<unknown> {
    return this.request('POST', `/v1/services/${enc(stack)}/${enc(service)}/${action}`, body);
  }
  getService(stack: string, service: string): Promise<unknown> {
    return this.request('GET', `/v1/services/${enc(stack)}/${enc(service)}`);
  }
  getNode(id: string): Promise<unknown> {
    return this.request('GET', `/v1/nodes/${enc(id)}`);
  }
  updateNode(
    id: string,
    patch: { availability?: string; labelAdd?: Record<string, string>; labelRm?: string[] },
  ): Promise<unknown> {
    return this.request('PATCH', `/v1/nodes/${enc(id)}`, patch);
  }
  removeNode(id: string): Promise<unknown> {
    return this.request('DELETE', `/v1/nodes/${enc(id)}`);
  }
  listNodes(): Promise<unknown[]> {
    return this.request('GET', '/v1/nodes');
  }
  joinToken(): Promise<{ token: string }> {
    return this.request('GET', '/v1/join-token');
  }
}

function enc(s: string): string {
  return encodeURIComponent(s);
}
