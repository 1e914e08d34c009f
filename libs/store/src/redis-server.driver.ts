// The embedded redis-server (Debian package) a controller owns when no Redis URL is given: data under `dir`,
// a unix socket only (no TCP port), a generated password kept in `dir`/password (0600), AOF with fsync on
// every write. A server left running by a controller that died is adopted on the next start.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { TsstackError } from '@tsstack/model';
import { connectRedis } from './redis-connect';

export interface RedisServerHandle {
  /** unix:///…/redis.sock?password=… */
  url: string;
  socket: string;
  pid: number;
  dir: string;
  /** Stop the server (SIGTERM, wait for exit; AOF is flushed on the way out). */
  stop(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function readOrCreatePassword(file: string): Promise<string> {
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch {
    const pw = randomBytes(24).toString('hex');
    await fs.writeFile(file, pw + '\n', { mode: 0o600 });
    return pw;
  }
}

async function waitExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return !alive(pid);
}

/** Start (or adopt) the redis-server of `dir`. */
export async function startRedisServer(dir: string, binary = 'redis-server'): Promise<RedisServerHandle> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const socket = path.join(dir, 'redis.sock');
  if (socket.length > 100) {
    throw new TsstackError(
      'STORE_SOCKET_PATH',
      `redis socket path ${socket} is too long for a unix socket: use a shorter data dir`,
    );
  }
  const password = await readOrCreatePassword(path.join(dir, 'password'));
  const url = `unix://${socket}?password=${password}`;
  const pidFile = path.join(dir, 'redis.pid');

  const existing = Number((await fs.readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (existing > 0 && alive(existing)) {
    const probe = await connectRedis(url).catch(() => undefined);
    if (probe) {
      probe.disconnect();
      return handle(url, socket, existing, dir);
    }
  }

  const conf = [
    'port 0',
    `unixsocket ${socket}`,
    'unixsocketperm 700',
    `requirepass ${password}`,
    'appendonly yes',
    'appendfsync always',
    `dir ${dir}`,
    'save ""',
    'daemonize no',
    `pidfile ${pidFile}`,
    `logfile ${path.join(dir, 'redis.log')}`,
    'protected-mode yes',
  ].join('\n');
  const confFile = path.join(dir, 'redis.conf');
  await fs.writeFile(confFile, conf + '\n', { mode: 0o600 });
  await fs.rm(socket, { force: true });
  const child = spawn(binary, [confFile], { detached: true, stdio: 'ignore' });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  child.unref();
  const deadline = Date.now() + 10_000;
  for (;;) {
    const failed = await Promise.race([
      spawnError,
      new Promise<undefined>((r) => setTimeout(() => r(undefined), 50)),
    ]);
    if (failed)
      throw new TsstackError(
        'STORE_REDIS_START',
        `cannot start ${binary}: ${failed.message} (install Debian's redis-server)`,
      );
    const probe = await connectRedis(url).catch(() => undefined);
    if (probe) {
      probe.disconnect();
      break;
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      const log = await fs.readFile(path.join(dir, 'redis.log'), 'utf8').catch(() => '');
      throw new TsstackError(
        'STORE_REDIS_START',
        `redis-server did not come up in ${dir}: ${log.split('\n').slice(-5).join(' ')}`,
      );
    }
  }
  return handle(url, socket, child.pid!, dir);
}

function handle(url: string, socket: string, pid: number, dir: string): RedisServerHandle {
  return {
    url,
    socket,
    pid,
    dir,
    async stop() {
      if (!alive(pid)) return;
      process.kill(pid, 'SIGTERM');
      if (!(await waitExit(pid, 10_000))) process.kill(pid, 'SIGKILL');
      await waitExit(pid, 2000);
    },
  };
}
