// Driver of the embedded control plane's daemons: starts `tsstack controller` and `tsstack node-agent`
// detached in their own session with logs and pid files under <dataDir>/system/, reads their status and
// stops them. The controller owns its redis-server and writes its pid to system/redis.pid.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export type DaemonName = 'controller' | 'agent' | 'redis';
export const DAEMONS: DaemonName[] = ['agent', 'controller', 'redis'];

export function systemDir(dataDir: string): string {
  return path.join(dataDir, 'system');
}

export function pidFile(dataDir: string, name: DaemonName): string {
  return path.join(systemDir(dataDir), `${name}.pid`);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid in the daemon's pid file when that process still lives, else undefined. */
export function readPid(dataDir: string, name: DaemonName): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(pidFile(dataDir, name), 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
}

export interface DaemonStatus {
  pid: number | null;
  log: string;
}

export function status(dataDir: string): Record<DaemonName, DaemonStatus> {
  const out = {} as Record<DaemonName, DaemonStatus>;
  for (const n of DAEMONS) {
    out[n] = { pid: readPid(dataDir, n) ?? null, log: path.join(systemDir(dataDir), `${n}.log`) };
  }
  return out;
}

/** Starts `node <cli> <args>` detached with its own session; stdout+stderr go to <name>.log. */
export function startDaemon(dataDir: string, name: DaemonName, cliArgs: string[]): number {
  fs.mkdirSync(systemDir(dataDir), { recursive: true, mode: 0o700 });
  const log = fs.openSync(path.join(systemDir(dataDir), `${name}.log`), 'a', 0o600);
  try {
    const cli = process.argv[1] ?? path.join(__dirname, '..', '..', '..', '..', '..', 'bin', 'tsstack.js');
    const child = spawn(process.execPath, [cli, ...cliArgs], {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...process.env, TSSTACK_DATA_DIR: dataDir },
    });
    if (child.pid === undefined)
      throw new Error(`could not start the ${name} daemon: see ${dataDir}/system/${name}.log`);
    child.unref();
    fs.writeFileSync(pidFile(dataDir, name), `${child.pid}\n`, { mode: 0o600 });
    return child.pid;
  } finally {
    fs.closeSync(log);
  }
}

/** SIGTERM each live daemon (agent first), wait up to timeoutMs, then SIGKILL; removes the pid files. */
export async function stopAll(dataDir: string, timeoutMs = 10_000): Promise<DaemonName[]> {
  const stopped: DaemonName[] = [];
  for (const n of DAEMONS) {
    const pid = readPid(dataDir, n);
    if (pid !== undefined) {
      signalGroup(pid, 'SIGTERM');
      const deadline = Date.now() + timeoutMs;
      while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      if (isAlive(pid)) {
        signalGroup(pid, 'SIGKILL');
        // Gone before we return: `node-agent --cleanup` right after must not find it still holding the host.
        const killDeadline = Date.now() + 5_000;
        while (isAlive(pid) && Date.now() < killDeadline) await new Promise((r) => setTimeout(r, 20));
      }
      stopped.push(n);
    }
    fs.rmSync(pidFile(dataDir, n), { force: true });
  }
  return stopped;
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    // Our daemons lead their own session, so the whole group (e.g. helpers) gets the signal.
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  }
}
