// `tsstack run -p <stack> [--rm] [-T] [-e K=V]... <service> <command...>`: a one-off container of a service
// (its image, env, user, volumes and networks, no published ports) running <command> with our stdin, stdout
// and stderr attached, a terminal when we have one (unless -T). The CLI exits with the command's exit code;
// 125 when the one-off could not be started. The container is always removed afterwards (docs/cli.md).
import type { Command } from 'commander';
import WebSocket from 'ws';
import { cliContext, withContext } from '../client/make-client';
import { CliError, ControllerUnreachableError } from '../client/cli-errors';
import { wsUrl } from '../client/ws-client';
import { withStackTarget } from './stack-file';

/** Exit code when tsstack could not run the command at all (as `docker run`). */
export const RUN_FAILED_EXIT = 125;

interface RunFrame {
  done: boolean;
  data?: { stream?: 'stdout' | 'stderr'; data?: string; exitCode?: number };
  error?: string;
}

/** -e KEY=VALUE (repeatable) as an object; usage error (exit 2) on anything else. */
export function parseEnvFlags(flags: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const kv of flags) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new CliError('USAGE', `-e ${kv}: use KEY=VALUE`, 2);
    env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return env;
}

export interface RunRequest {
  stack: string;
  service: string;
  command: string[];
  env: Record<string, string>;
  tty: boolean;
  size?: { cols: number; rows: number };
}

/** The /v1/run query of a request (pure). */
export function runQuery(r: RunRequest): URLSearchParams {
  const q = new URLSearchParams({
    stack: r.stack,
    service: r.service,
    cmd: JSON.stringify(r.command),
    env: JSON.stringify(r.env),
    tty: r.tty ? '1' : '0',
    stdin: '1',
  });
  if (r.size) {
    q.set('cols', String(r.size.cols));
    q.set('rows', String(r.size.rows));
  }
  return q;
}

interface Io {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** The terminal whose resizes are forwarded (tty only). */
  terminal?: NodeJS.WriteStream;
}

/** Opens the run session and pipes it to `io`; resolves with the CLI's exit code. */
export function runOneOff(url: string, token: string | undefined, r: RunRequest, io: Io): Promise<number> {
  const ws = new WebSocket(wsUrl(url, `/v1/run?${runQuery(r).toString()}`), {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const term = r.tty ? io.terminal : undefined;
  const send = (m: unknown) => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify(m));
  const onResize = () => term && send({ resize: { cols: term.columns, rows: term.rows } });
  const onData = (d: Buffer) => send({ stdin: d.toString('base64') });
  const onEnd = () => send({ stdin: null });
  return new Promise((resolve, reject) => {
    let exitCode: number | undefined;
    ws.on('open', () => {
      io.stdin.on('data', onData);
      io.stdin.on('end', onEnd);
      term?.on('resize', onResize);
    });
    ws.on('message', (raw) => {
      const f = JSON.parse(String(raw)) as RunFrame;
      if (f.data?.data)
        (f.data.stream === 'stderr' ? io.stderr : io.stdout).write(Buffer.from(f.data.data, 'base64'));
      if (typeof f.data?.exitCode === 'number') exitCode = f.data.exitCode;
      if (f.error) io.stderr.write(`tsstack run: ${f.error}\n`);
      if (f.done && exitCode === undefined) exitCode = f.error ? RUN_FAILED_EXIT : 0;
    });
    ws.on('unexpected-response', (_req, res) => {
      reject(new CliError('RUN_REFUSED', `the controller refused the run (HTTP ${res.statusCode})`, 1));
      ws.terminate();
    });
    ws.on('error', (err) => reject(new ControllerUnreachableError(url, err)));
    ws.on('close', () => {
      io.stdin.off('data', onData);
      io.stdin.off('end', onEnd);
      term?.off('resize', onResize);
      resolve(exitCode ?? RUN_FAILED_EXIT);
    });
  });
}

interface RunOptions {
  projectName: string;
  tty: boolean;
  rm?: boolean;
  env?: string[];
}

export function register(program: Command): void {
  withStackTarget(withContext(program.command('run')))
    .description('run a one-off command in a new container of a service')
    .option('--rm', 'remove the container afterwards (always done: a one-off is never kept)')
    .option('-T, --no-tty', 'no terminal even when stdin is one')
    .option(
      '-e, --env <KEY=VALUE>',
      'set an environment variable (repeatable)',
      (v: string, p: string[] = []) => [...p, v],
    ) // prettier-ignore
    .argument('<service>')
    .argument('<command...>')
    .passThroughOptions()
    .action(async (service: string, command: string[], o: RunOptions, cmd: Command) => {
      const env = parseEnvFlags(o.env ?? []);
      const tty = o.tty && Boolean(process.stdin.isTTY) && Boolean(process.stdout.isTTY);
      const size = tty ? { cols: process.stdout.columns, rows: process.stdout.rows } : undefined;
      const ctx = cliContext(cmd);
      if (tty) process.stdin.setRawMode(true);
      try {
        process.exitCode = await runOneOff(
          ctx.url,
          ctx.token,
          { stack: o.projectName, service, command, env, tty, size },
          { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, terminal: process.stdout },
        );
      } finally {
        if (tty) process.stdin.setRawMode(false);
        process.stdin.pause();
      }
    });
}
