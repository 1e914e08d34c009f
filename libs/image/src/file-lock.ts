// A cross-process lock beside a file: <file>.lock is created with O_EXCL and holds the owner's pid. Others
// wait (polling with a little jitter) until it is gone; a lock whose pid no longer runs is stale and taken
// over. Used around every read-modify-write of the store's refs.json, so two processes tagging at once
// never lose a reference. Within one process the callers are also queued, so no polling among them.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { TsstackError } from '@tsstack/model';

const queues = new Map<string, Promise<unknown>>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryAcquire(lockFile: string): boolean {
  try {
    const fd = fs.openSync(lockFile, 'wx', 0o644);
    fs.writeSync(fd, String(process.pid));
    fs.closeSync(fd);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  let owner = NaN;
  try {
    owner = Number(fs.readFileSync(lockFile, 'utf8'));
  } catch {
    return false; // released between our open and read: try again
  }
  if (owner && !alive(owner)) {
    // Stale: move it aside atomically (only one taker wins the rename), then check we took the dead one.
    const aside = `${lockFile}.${randomBytes(4).toString('hex')}.stale`;
    try {
      fs.renameSync(lockFile, aside);
      const taken = Number(fs.readFileSync(aside, 'utf8'));
      if (taken !== owner) fs.linkSync(aside, lockFile); // a live owner's lock: put it back
      fs.rmSync(aside, { force: true });
    } catch {
      /* someone else cleaned up first */
    }
  }
  return false;
}

/** Runs `fn` holding the lock for `file`. Throws a temporary error after `timeoutMs`. */
export async function withFileLock<T>(
  file: string,
  fn: () => T | Promise<T>,
  timeoutMs = 30_000,
): Promise<T> {
  const lockFile = `${file}.lock`;
  const prev = queues.get(lockFile) ?? Promise.resolve();
  const run = prev
    .catch(() => undefined)
    .then(async () => {
      const deadline = Date.now() + timeoutMs;
      while (!tryAcquire(lockFile)) {
        if (Date.now() > deadline)
          throw new TsstackError(
            'IMAGE_STORE_LOCKED',
            `${lockFile} is held by another process for more than ${timeoutMs} ms; if no tsstack process runs, delete it`,
            { temporary: true },
          );
        await new Promise((r) => setTimeout(r, 2 + Math.random() * 8));
      }
      try {
        return await fn();
      } finally {
        fs.rmSync(lockFile, { force: true });
      }
    });
  queues.set(lockFile, run);
  try {
    return await run;
  } finally {
    if (queues.get(lockFile) === run) queues.delete(lockFile);
  }
}
