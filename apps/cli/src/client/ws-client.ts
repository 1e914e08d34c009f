// WebSocket side of the API: /v1/events (one TsstackEvent JSON per message). Same address and token as
// the REST client; connection failures become ControllerUnreachableError.
import WebSocket from 'ws';
import type { TsstackEvent } from '@tsstack/model';
import { ApiError, ControllerUnreachableError } from './cli-errors';

export function wsUrl(httpUrl: string, path: string): string {
  return httpUrl.replace(/^http/, 'ws') + path;
}

/** Calls onEvent for each event until the server closes the stream or `signal` aborts. */
export function streamEvents(
  httpUrl: string,
  token: string | undefined,
  query: Record<string, string | undefined>,
  onEvent: (e: TsstackEvent) => void,
  signal?: AbortSignal,
): Promise<void> {
  const q = new URLSearchParams(Object.entries(query).filter((kv): kv is [string, string] => Boolean(kv[1])));
  const ws = new WebSocket(wsUrl(httpUrl, `/v1/events${q.size ? `?${q.toString()}` : ''}`), {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return new Promise((resolve, reject) => {
    let opened = false;
    signal?.addEventListener('abort', () => ws.close());
    ws.on('open', () => (opened = true));
    ws.on('message', (data) => onEvent(JSON.parse(String(data)) as TsstackEvent));
    ws.on('unexpected-response', (_req, res) => {
      const status = res.statusCode ?? 0;
      reject(
        new ApiError(
          status,
          `HTTP_${status}`,
          `the controller refused /v1/events${status === 401 ? ': check TSSTACK_TOKEN or the token file' : ''}`,
        ),
      );
      ws.terminate();
    });
    ws.on('error', (err) => (opened ? reject(err) : reject(new ControllerUnreachableError(httpUrl, err))));
    ws.on('close', () => resolve());
  });
}

export function formatEvent(e: TsstackEvent): string {
  const where = [e.stack, e.service, e.task?.slice(0, 12), e.node].filter(Boolean).join('/');
  const move = e.from || e.to ? ` ${e.from ?? ''}->${e.to ?? ''}` : '';
  return `${new Date(e.time).toISOString()} ${e.type} ${where}${move}${e.message ? ` ${e.message}` : ''}\n`;
}
