// `tsstack exec -p <stack> [-T] [--index n] <service> <cmd...>`: runs a command inside a running task of a
// service (through the controller to the task's agent), with stdin, and exits with the command's exit code.
// A terminal is given when stdin is one, unless -T; its size follows ours (SIGWINCH -> a resize message).
import type { Command } from 'commander';
import WebSocket from 'ws';
import { cliContext, makeClient, withContext } from '../client/make-client';
import { CliError, ControllerUnreachableError } from '../client/cli-errors';
import { wsUrl } from '../client/ws-client';
import { withStackTarget } from './stack-file';

interface ExecFrame {
  done: boolean;
  data?: { stream?: 'stdout' | 'stderr'; data?: string; exitCode?: number };
  error?: string;
}

/** Runs the exec session; resolves with the exit code. */
export function runExec(
  url: string,
  token: string | undefined,
  taskId: string,
  cmd: string[],
  o: { tty: boolean; stdin: NodeJS.ReadableStream | undefined; terminal?: NodeJS.WriteStream },
): Promise<number> {
  const q = new URLSearchParams({ task: taskId, cmd: JSON.stringify(cmd), tty: o.tty ? '1' : '0', stdin: o.stdin ? '1' : '0' }); // prettier-ignore
  const term = o.tty && o.terminal?.isTTY ? o.terminal : undefined;
  if (term) {
    q.set('cols', String(term.columns));
    q.set('rows', String(term.rows));
  }
  const ws = new WebSocket(wsUrl(url, `/v1/exec?${q.toString()}`), {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  // Node reads the new size on SIGWINCH and emits 'resize' on the terminal's stdout stream.
  const onResize = () => {
    if (term && ws.readyState === WebSocket.OPEN)
      ws.send(JSON.stringify({ resize: { cols: term.columns, rows: term.rows } }));
  };
  return new Promise((resolve, reject) => {
    let exitCode: number | undefined;
    ws.on('open', () => {
      o.stdin?.on('data', (d: Buffer) => ws.send(JSON.stringify({ stdin: d.toString('base64') })));
      o.stdin?.on('end', () => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify({ stdin: null })));
      term?.on('resize', onResize);
    });
    ws.on('message', (raw) => {
      const f = JSON.parse(String(raw)) as ExecFrame;
      if (f.data?.data) (f.data.stream === 'stderr' ? process.stderr : process.stdout).write(Buffer.from(f.data.data, 'base64')); // prettier-ignore
      if (typeof f.data?.exitCode === 'number') exitCode = f.data.exitCode;
      if (f.error) process.stderr.write(`tsstack exec: ${f.error}\n`);
      if (f.done && exitCode === undefined) exitCode = f.error ? 126 : 0;
    });
    ws.on('unexpected-response', (_req, res) => {
      reject(new CliError('EXEC_REFUSED', `the controller refused the exec (HTTP ${res.statusCode})`, 1));
      ws.terminate();
    });
    ws.on('error', (err) => reject(new ControllerUnreachableError(url, err)));
    ws.on('close', () => {
      term?.off('resize', onResize);
      resolve(exitCode ?? 1);
    });
  });
}

export function register(program: Command): void {
  withStackTarget(withContext(program.command('exec')))
    .description('run a command in a running task of a service')
    .option('-T, --no-tty', 'no terminal even when stdin is one')
    .option('--index <n>', 'which replica (slot), default the first running one')
    .argument('<service>')
    .argument('<command...>')
    .passThroughOptions()
    .action(
      async (
        service: string,
        command: string[],
        o: { projectName: string; tty: boolean; index?: string },
        cmd: Command,
      ) => {
        // prettier-ignore
        const client = makeClient(cmd);
        const tasks = (await client.listTasks({ stack: o.projectName, service })).filter(
          (t) => t.state === 'running',
        );
        const task = o.index ? tasks.find((t) => String(t.slot) === o.index) : tasks.sort((a, b) => (a.slot ?? 0) - (b.slot ?? 0))[0]; // prettier-ignore
        if (!task)
        throw new CliError('NO_TASK', `no running task of ${o.projectName}_${service}${o.index ? ` with index ${o.index}` : ''}; see \`tsstack ps -p ${o.projectName}\``, 1); // prettier-ignore
        const tty = o.tty && Boolean(process.stdin.isTTY);
        if (tty) process.stdin.setRawMode(true);
        const ctx = cliContext(cmd);
        try {
          process.exitCode = await runExec(ctx.url, ctx.token, task.task, command, {
            tty,
            stdin: process.stdin,
            terminal: process.stdout,
          });
        } finally {
          if (tty) process.stdin.setRawMode(false);
          process.stdin.pause();
        }
      },
    );
}
