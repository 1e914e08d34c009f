// A WebSocket attached to a process an agent runs for a client (`exec`, `run`). Client -> server messages
// {"stdin": base64|null} and {"resize": {cols, rows}} are kept in order from the first one (also those sent
// while the agent is still being asked); server -> client: the agent's responses as {"data"?, "done",
// "error"?}; the socket closes when done, and a closed socket cancels the request.
import WebSocket from 'ws';
import type { Reply } from '../dispatch/agent-dispatcher';
import type { RequestHandle, RequestRouter } from '../dispatch/request-router';

/** What the agent's process gets from the query: a TTY (with its first size) and whether stdin follows. */
export interface TerminalArgs {
  tty: boolean;
  stdin: boolean;
  cols?: number;
  rows?: number;
}

export interface AttachedRequest {
  handle: RequestHandle;
  /** The task id the follow-up messages (stdin, resize) name. */
  taskId: string;
}

export function terminalArgs(q: URLSearchParams): TerminalArgs {
  return {
    tty: q.get('tty') === '1',
    stdin: q.get('stdin') === '1',
    ...(q.get('cols') && q.get('rows') ? { cols: Number(q.get('cols')), rows: Number(q.get('rows')) } : {}),
  };
}

/**
 * Serves one attached socket: `open` asks the agent (with the reply that relays to the socket); an error
 * before or while asking is sent as the final message.
 */
export function serveAttached(
  ws: WebSocket,
  router: RequestRouter,
  open: (reply: Reply) => Promise<AttachedRequest>,
): void {
  // Listen before the first await: a client may type (or resize) as soon as the socket is open.
  const early: Buffer[] = [];
  const keepEarly = (raw: Buffer) => early.push(raw);
  ws.on('message', keepEarly);
  const reply: Reply = (done, data, error) => {
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify({ done, ...(data !== undefined ? { data } : {}), ...(error ? { error } : {}) }));
    if (done) ws.close(1000);
  };
  open(reply)
    .then(({ handle, taskId }) => {
      const onMessage = (raw: Buffer) => {
        let m: { stdin?: string | null; resize?: { cols: number; rows: number } };
        try {
          m = JSON.parse(raw.toString()) as typeof m;
        } catch {
          return;
        }
        if (m.stdin !== undefined) router.followUp(handle, 'exec.stdin', taskId, { data: m.stdin });
        if (m.resize) router.followUp(handle, 'exec.resize', taskId, { cols: m.resize.cols, rows: m.resize.rows }); // prettier-ignore
      };
      ws.off('message', keepEarly);
      for (const raw of early) onMessage(raw);
      ws.on('message', onMessage);
      ws.on('close', () => handle.cancel());
      if (ws.readyState !== WebSocket.OPEN) handle.cancel();
    })
    .catch((err: Error) => {
      if (ws.readyState === WebSocket.OPEN) {
        ws.send(JSON.stringify({ done: true, error: err.message }));
        ws.close(1011, err.message.slice(0, 120));
      }
    });
}
