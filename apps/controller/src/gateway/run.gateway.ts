// WebSocket /v1/run?stack=&service=&cmd=<JSON array>[&env=<JSON object>][&tty=1&cols=N&rows=N][&stdin=1]:
// `tsstack run`, a one-off container of a service with its command attached. The controller builds the
// one-off task (domain/one-off-task.ts) and asks the agent of the node that runs the service ('run' op),
// which creates the container, runs the command in it, removes it, and answers the exit code.
// Messages as on /v1/exec (attached-process.ts).
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import type { StateStore } from '@tsstack/store';
import type { RequestRouter } from '../dispatch/request-router';
import { oneOffTask, templateTask } from '../domain/one-off-task';
import { serveAttached, terminalArgs } from './attached-process';

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
    serveAttached(ws, this.router, async (reply) => {
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
      const args = { task, ...terminalArgs(q) };
      return {
        handle: await this.router.request(template.nodeId!, 'run', task.id, args, reply),
        taskId: task.id,
      };
    });
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((r) => this.wss.close(() => r()));
  }
}
