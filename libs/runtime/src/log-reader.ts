// Reads a container's json-lines log (rotated as path.N ... path.1, path), with since, tail and follow.
import * as fs from 'node:fs';
import type { LogEntry, LogOptions } from './types';

function rotatedFiles(logPath: string, maxFile: number): string[] {
  const older = Array.from({ length: Math.max(0, maxFile - 1) }, (_, i) => `${logPath}.${maxFile - 1 - i}`);
  return [...older, logPath].filter((f) => fs.existsSync(f));
}

function parseLines(text: string, since?: number): LogEntry[] {
  const out: LogEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const e = JSON.parse(line) as LogEntry;
      if (since === undefined || Date.parse(e.time) >= since) out.push(e);
    } catch {
      // a torn last line while the shim writes: the follow loop reads it again whole
    }
  }
  return out;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

/**
 * Yields log entries; with `follow`, keeps yielding new ones until `isDone()` says the container stopped (and
 * the rest is read) or the signal aborts.
 */
export async function* readLog(
  logPath: string,
  maxFile: number,
  o: LogOptions,
  isDone: () => boolean,
): AsyncGenerator<LogEntry> {
  let entries: LogEntry[] = [];
  for (const f of rotatedFiles(logPath, maxFile))
    entries.push(...parseLines(fs.readFileSync(f, 'utf8'), o.since));
  if (o.tail !== undefined) entries = o.tail === 0 ? [] : entries.slice(-o.tail);
  yield* entries;
  if (!o.follow) return;
  let offset = fs.existsSync(logPath) ? fs.statSync(logPath).size : 0;
  let ino = fs.existsSync(logPath) ? fs.statSync(logPath).ino : 0;
  let pending = '';
  for (;;) {
    if (o.signal?.aborted) return;
    const done = isDone();
    if (fs.existsSync(logPath)) {
      const st = fs.statSync(logPath);
      if (st.ino !== ino || st.size < offset) {
        ino = st.ino; // rotated: the new file starts from 0
        offset = 0;
        pending = '';
      }
      if (st.size > offset) {
        const fd = fs.openSync(logPath, 'r');
        const buf = Buffer.alloc(st.size - offset);
        fs.readSync(fd, buf, 0, buf.length, offset);
        fs.closeSync(fd);
        offset = st.size;
        const text = pending + buf.toString('utf8');
        const cut = text.lastIndexOf('\n');
        pending = text.slice(cut + 1);
        yield* parseLines(text.slice(0, cut + 1), o.since);
      }
    }
    if (done) return;
    await sleep(100, o.signal);
  }
}
