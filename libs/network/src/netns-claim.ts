// One NetworkManager per network namespace. A manager owns its namespace's `ts*` links and the `ip tsstack`
// nft table: it sweeps links it does not know and rewrites the whole table, so a second manager there (two
// agents with different state dirs, e.g. two embedded control planes on one host) would tear down the
// first one's networks. Opening claims the namespace in a file under /run (tmpfs: gone at reboot) holding
// the owner's pid, its start time and state dir; a live owner in another process makes open() refuse.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NetnsTakenError } from './errors';

export const CLAIMS_DIR = '/run/tsstack/netns-claims';

interface Claim {
  pid: number;
  /** Start time of `pid` in clock ticks since boot (/proc/<pid>/stat field 22): tells a reused pid apart. */
  started: string;
  stateDir: string;
}

function startTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): state is field 3.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function claimFile(netnsPath: string, dir: string): string {
  const st = fs.statSync(netnsPath);
  return path.join(dir, `${st.dev}-${st.ino}.json`);
}

function readClaim(file: string): Claim | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Claim;
  } catch {
    return undefined;
  }
}

/** Whether the claim's process still runs (the same process, not a later one with its pid). */
function held(c: Claim): boolean {
  return c.pid !== process.pid && startTime(c.pid) === c.started;
}

/**
 * Claims the network namespace at `netnsPath` (default: this process's) for the manager of `stateDir`.
 * Throws NetnsTakenError when another live process holds it. Returns the release function.
 */
export function claimNetns(stateDir: string, netnsPath = '/proc/self/ns/net', dir = CLAIMS_DIR): () => void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = claimFile(netnsPath, dir);
  const other = readClaim(file);
  if (other && held(other)) throw new NetnsTakenError(netnsPath, other.pid, other.stateDir, stateDir);
  const mine: Claim = {
    pid: process.pid,
    started: startTime(process.pid) ?? '',
    stateDir: path.resolve(stateDir),
  };
  // Write then rename: a reader never sees half a claim. Two processes racing here both pass the check
  // above and the later rename wins; agents start one at a time in practice, and the loser's next open sees it.
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(mine), { mode: 0o600 });
  fs.renameSync(tmp, file);
  return () => {
    const now = readClaim(file);
    if (now?.pid === mine.pid && now.stateDir === mine.stateDir) fs.rmSync(file, { force: true });
  };
}

/**
 * claimNetns, waiting up to `waitMs` for an owner that is going away (a process just signalled may take a
 * moment to exit) before giving up with its NetnsTakenError.
 */
export async function claimNetnsWhenFree(
  stateDir: string,
  waitMs: number,
  netnsPath?: string,
  dir?: string,
): Promise<() => void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return claimNetns(stateDir, netnsPath, dir);
    } catch (err) {
      if (!(err instanceof NetnsTakenError) || Date.now() >= deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
