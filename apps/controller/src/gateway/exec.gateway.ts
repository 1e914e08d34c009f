// WebSocket /v1/exec?task=<id>&cmd=<JSON array>&tty=1[&cols=N&rows=N][&stdin=1]: a command inside a task's
// container, relayed to the agent of the task's node; messages as in attached-process.ts.
import WebSocket from 'ws';
import type { StateStore } from '@tsstack/store';
import type { RequestRouter } from '../dispatch/request-router';
import { serveAttached, terminalArgs } from './attached-process';

export class ExecGateway {
  readonly wss = new WebSocket.Server({ noServer: true });

  constructor(
    private readonly store: StateStore,
    private readonly router: RequestRouter,
  ) {}

  handle(ws: WebSocket, q: URLSearchParams): void {
    serveAttached(ws, this.router, async (reply) => {
      const taskId = q.get('task') ?? '';
      const task = await this.store.getTask(taskId);
      if (!task?.nodeId) throw new Error(`task ${taskId} not found or not placed on a node`);
      let cmd: unknown;
      try {
        cmd = JSON.parse(q.get('cmd') ?? '[]');
      } catch {
        throw new Error('cmd must be a JSON array of strings');
      }
      const args = { cmd, ...terminalArgs(q) };
      return { handle: await this.router.request(task.nodeId, 'exec', taskId, args, reply), taskId };
    });
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((r) => this.wss.close(() => r()));
  }
}
