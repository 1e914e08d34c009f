// Talks to a shim's control socket: one line out, one JSON line back. `wait` answers when the container exits.
import * as net from 'node:net';

export interface ShimReply {
  ok?: boolean;
  code?: string;
  errno?: number;
  step?: string;
  message?: string;
  [key: string]: unknown;
}

/** Resolves with the reply, or with undefined when the shim is gone (no socket, or closed without answer). */
export function askShim(
  socketPath: string,
  command: string,
  signal?: AbortSignal,
): Promise<ShimReply | undefined> {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection(socketPath);
    let buf = '';
    let settled = false;
    const done = (v: ShimReply | undefined, err?: Error): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      sock.destroy();
      if (err) reject(err);
      else resolve(v);
    };
    const onAbort = (): void => done(undefined, new Error('aborted'));
    signal?.addEventListener('abort', onAbort);
    sock.on('connect', () => sock.write(command + '\n'));
    sock.on('data', (d) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) done(JSON.parse(buf.slice(0, nl)) as ShimReply);
    });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (
        err.code === 'ENOENT' ||
        err.code === 'ECONNREFUSED' ||
        err.code === 'ECONNRESET' ||
        err.code === 'EPIPE'
      )
        done(undefined);
      else done(undefined, err);
    });
    sock.on('close', () => done(undefined));
  });
}
