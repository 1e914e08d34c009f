// WebSocket /v1/run?stack=&service=&cmd=<JSON array>[&env=<JSON object>][&tty=1&cols=N&rows=N][&stdin=1]:
// `tsstack run`, a one-off container of a service with its command attached. The controller builds the
// one-off task (domain/one-off-task.ts) and asks the agent of the node that runs the service ('run' op),
// which creates the container, runs the command in it, removes it, and answers the exit code.
// Messages as on /v1/exec: client -> {"stdin": base64|null} and {"resize": {cols, rows}}, kept in order from
// the first; server -> {"data"?, "done", "error"?}; the socket closes when done.
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import type { StateStore } from '@tsstack/store';
import type { RequestRouter } from '../dispatch/request-router';
import { oneOffTask, templateTask } from '../domain/one-off-task';

function parseJson<T>(raw: string | null, fallback: T, what: string): T {
  if (raw === null || raw === '') return fallback;
  try {
    return JSON.parse(raw) as T;
  } catch {
    throw new Error(`${what} must be JSON`);
  }
}

export class RunGateway {
  readonly wss = new WebSocket.Server({ noServer: true });

  constructor(
    private readonly store: StateStore,
    private readonly router: RequestRouter,
  ) {}

  handle(ws: WebSocket, q: URLSearchParams): void {
    void this.run(ws, q).catch((err: Error) => {
      if (ws.readyState === WebSocket.OPEN) {
        ws.send(JSON.stringify({ done: true, error: err.message }));
        ws.close(1011, err.message.slice(0, 120));
      }
    });
  }

  private async run(ws: WebSocket, q: URLSearchParams): Promise<void> {
    // Listen before the first await: a client may send stdin as soon as the socket is open.
    const early: Buffer[] = [];
    const keepEarly = (raw: Buffer) => early.push(raw);
    ws.on('message', keepEarly);
    const command = parseJson<unknown>(q.get('cmd'), [], 'cmd');
    const environment = parseJson<unknown>(q.get('env'), {}, 'env');
    if (!Array.isArray(command) || !command.length || !command.every((c) => typeof c === 'string'))
      throw new Error('cmd must be a non-empty JSON array of strings');
    if (typeof environment !== 'object' || environment === null || Array.isArray(environment))
      throw new Error('env must be a JSON object of strings');
    const stack = q.get('stack') ?? '';
    const service = q.get('service') ?? '';
    const template = templateTask(await this.store.listTasks(), stack, service);
    const task = oneOffTask(
      template,
      { stack, service, command: command as string[], environment: environment as Record<string, string> },
      `run-${randomBytes(8).toString('hex')}`,
      Date.now(),
    );
    const req = await this.router.request(
      template.nodeId!,
      'run',
      task.id,
      {
        task,
        tty: q.get('tty') === '1',
        stdin: q.get('stdin') === '1',
        ...(q.get('cols') && q.get('rows')
          ? { cols: Number(q.get('cols')), rows: Number(q.get('rows')) }
          : {}),
      },
      (done, data, error) => {
        if (ws.readyState !== WebSocket.OPEN) return;
        ws.send(
          JSON.stringify({ done, ...(data !== undefined ? { data } : {}), ...(error ? { error } : {}) }),
        );
        if (done) ws.close(1000);
      },
    );
    const onMessage = (raw: Buffer) => {
      let m: { stdin?: string | null; resize?: { cols: number; rows: number } };
      try {
        m = JSON.parse(raw.toString()) as typeof m;
      } catch {
        return;
      }
      if (m.stdin !== undefined) this.router.followUp(req, 'exec.stdin', task.id, { data: m.stdin });
      if (m.resize) this.router.followUp(req, 'exec.resize', task.id, { cols: m.resize.cols, rows: m.resize.rows }); // prettier-ignore
    };
    ws.off('message', keepEarly);
    for (const raw of early) onMessage(raw);
    ws.on('message', onMessage);
    ws.on('close', () => req.cancel());
    if (ws.readyState !== WebSocket.OPEN) req.cancel();
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((r) => this.wss.close(() => r()));
  }
}
