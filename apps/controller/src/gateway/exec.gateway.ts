// WebSocket /v1/exec?task=<id>&cmd=<JSON array>&tty=1[&cols=N&rows=N]: a command inside a task's container,
// relayed to the agent of the task's node. Client -> server messages: {"stdin": base64} or {"resize": {"cols",
// "rows"}}, kept in order from the first one (also those sent before the agent was asked); server -> client: the
// agent's responses as {"data"?, "done", "error"?}; the socket closes when done.
import WebSocket from 'ws';
import type { StateStore } from '@tsstack/store';
import type { RequestRouter } from '../dispatch/request-router';

export class ExecGateway {
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
    // Listen before the first await: a client may type (or resize) as soon as the socket is open.
    const early: Buffer[] = [];
    const keepEarly = (raw: Buffer) => early.push(raw);
    ws.on('message', keepEarly);
    const taskId = q.get('task') ?? '';
    const task = await this.store.getTask(taskId);
    if (!task?.nodeId) throw new Error(`task ${taskId} not found or not placed on a node`);
    let cmd: unknown;
    try {
      cmd = JSON.parse(q.get('cmd') ?? '[]');
    } catch {
      throw new Error('cmd must be a JSON array of strings');
    }
    const nodeId = task.nodeId;
    const req = await this.router.request(
      nodeId,
      'exec',
      taskId,
      {
        cmd,
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
      if (m.stdin !== undefined) this.router.followUp(req, 'exec.stdin', taskId, { data: m.stdin });
      if (m.resize) this.router.followUp(req, 'exec.resize', taskId, { cols: m.resize.cols, rows: m.resize.rows }); // prettier-ignore
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
