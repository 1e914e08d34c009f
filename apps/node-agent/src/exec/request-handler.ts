// Requests the controller relays on behalf of users: logs (follow/since/tail), exec (stdin, tty resize, exit
// code), stats and top of a task's container, this node's named volumes (volume.ls, volume.rm) and the one-off
// containers of `tsstack run` (run-request.ts). Streams answer in chunks (done=false) and end with done=true; a
// `cancel` naming the request id stops a stream.
import type { RequestMessage } from '@tsstack/model';
import type { ExecProcess, TerminalSize } from '@tsstack/runtime';
import type { ContainerRuntimePort } from '../ports';
import { containerIdFor } from '../drivers/container-spec';
import type { VolumeRequests } from './volume-requests';
import type { OneOffRuns } from './run-request';

type Reply = (done: boolean, data?: unknown, error?: string) => void;

/** "1700000000" (unix seconds), "10m" / "1h30m" / "45s" (ago), or an RFC 3339 time; undefined when absent. */
export function parseSince(since: unknown, now = Date.now()): number | undefined {
  if (since === undefined || since === null || since === '') return undefined;
  const s = String(since);
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const parts = [...s.matchAll(/(\d+)(ms|s|m|h|d)/g)];
  if (parts.length && parts.map((p) => p[0]).join('') === s) {
    const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
    return now - parts.reduce((sum, p) => sum + Number(p[1]) * unit[p[2]], 0);
  }
  const t = Date.parse(s);
  if (Number.isNaN(t))
    throw new Error(`since ${s}: use unix seconds, a duration like 10m, or an RFC 3339 time`);
  return t;
}

/** `{cols, rows}` of an exec or resize request, when both are positive numbers. */
export function terminalSize(args: Record<string, unknown>): TerminalSize | undefined {
  const cols = Number(args.cols);
  const rows = Number(args.rows);
  return cols > 0 && rows > 0 ? { cols, rows } : undefined;
}

export function requestHandler(
  runtime: ContainerRuntimePort,
  log?: (msg: string) => void,
  volumes?: VolumeRequests,
  runs?: OneOffRuns,
) {
  const streams = new Map<string, AbortController>();
  const execs = new Map<string, ExecProcess>();

  const logs = async (req: RequestMessage, reply: Reply) => {
    if (!runtime.logs) return reply(true, undefined, 'logs are not available from this agent');
    const abort = new AbortController();
    streams.set(req.requestId, abort);
    try {
      const follow = req.args.follow === true;
      const tail = typeof req.args.tail === 'number' ? req.args.tail : undefined;
      let batch: unknown[] = [];
      let flushAt = Date.now() + 50;
      for await (const e of runtime.logs(containerIdFor(req.taskId), {
        follow,
        tail,
        since: parseSince(req.args.since),
        signal: abort.signal,
      })) {
        // prettier-ignore
        batch.push({ task: req.taskId, stream: e.stream, time: e.time, line: e.line });
        if (batch.length >= 200 || Date.now() >= flushAt) {
          reply(false, batch);
          batch = [];
          flushAt = Date.now() + 50;
        }
      }
      reply(true, batch.length ? batch : undefined);
    } finally {
      streams.delete(req.requestId);
    }
  };

  const exec = (req: RequestMessage, reply: Reply) => {
    if (!runtime.exec) return reply(true, undefined, 'exec is not available from this agent');
    const cmd = req.args.cmd;
    if (!Array.isArray(cmd) || !cmd.length || !cmd.every((c) => typeof c === 'string'))
      return reply(true, undefined, 'exec needs cmd: a non-empty array of strings');
    const child = runtime.exec(containerIdFor(req.taskId), {
      args: cmd as string[],
      tty: req.args.tty === true,
      env: (req.args.env as Record<string, string> | undefined) ?? undefined,
      user: typeof req.args.user === 'string' ? req.args.user : undefined,
      cwd: typeof req.args.cwd === 'string' ? req.args.cwd : undefined,
      size: terminalSize(req.args),
    });
    execs.set(req.requestId, child);
    if (req.args.stdin !== true) child.stdin.end();
    child.stdout.on('data', (d: Buffer) => reply(false, { stream: 'stdout', data: d.toString('base64') }));
    child.stderr.on('data', (d: Buffer) => reply(false, { stream: 'stderr', data: d.toString('base64') }));
    child.on('error', (err) => reply(true, undefined, err.message));
    child.on('close', (code, signal) => {
      execs.delete(req.requestId);
      reply(true, { exitCode: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15) });
    });
  };

  return (req: RequestMessage, reply: Reply): void => {
    const fail = (err: unknown) => reply(true, undefined, (err as Error).message ?? String(err));
    switch (req.op) {
      case 'logs':
        logs(req, reply).catch(fail);
        break;
      case 'exec':
        try {
          exec(req, reply);
        } catch (err) {
          fail(err);
        }
        break;
      case 'exec.stdin': {
        if (runs?.has(String(req.args.execId))) {
          runs.stdin(String(req.args.execId), req.args.data === null || req.args.eof === true ? null : String(req.args.data)); // prettier-ignore
          break;
        }
        const child = execs.get(String(req.args.execId));
        if (!child) break;
        if (req.args.data === null || req.args.eof === true) child.stdin.end();
        else child.stdin.write(Buffer.from(String(req.args.data), 'base64'));
        break;
      }
      case 'exec.resize': {
        const size = terminalSize(req.args);
        if (size && runs?.has(String(req.args.execId))) runs.resize(String(req.args.execId), size);
        if (size) execs.get(String(req.args.execId))?.resize(size);
        break;
      }
      case 'stats':
        if (!runtime.stats) return reply(true, undefined, 'stats are not available from this agent');
        runtime.stats(containerIdFor(req.taskId)).then((s) => reply(true, s), fail);
        break;
      case 'top':
        if (!runtime.top) return reply(true, undefined, 'top is not available from this agent');
        runtime.top(containerIdFor(req.taskId)).then((rows) => reply(true, rows), fail);
        break;
      case 'run':
        if (!runs) return reply(true, undefined, 'run is not available from this agent');
        runs.start(req.requestId, req.args, reply);
        break;
      case 'volume.ls':
        if (!volumes) return reply(true, undefined, 'volumes are not available from this agent');
        volumes.list().then((v) => reply(true, v), fail);
        break;
      case 'volume.rm': {
        if (!volumes) return reply(true, undefined, 'volumes are not available from this agent');
        const names = req.args.names;
        if (!Array.isArray(names) || !names.every((n) => typeof n === 'string'))
          return reply(true, undefined, 'volume.rm needs names: an array of volume names');
        const waitMs = typeof req.args.waitMs === 'number' ? req.args.waitMs : 0;
        volumes.remove({ names: names as string[], waitMs }).then((r) => reply(true, r), fail);
        break;
      }
      case 'cancel': {
        const id = String(req.args.requestId);
        runs?.cancel(id);
        streams.get(id)?.abort();
        execs.get(id)?.kill('SIGKILL');
        break;
      }
      default:
        log?.(`request ${String(req.op)}: not supported`);
        reply(true, undefined, `operation ${String(req.op)} is not supported`);
    }
  };
}
