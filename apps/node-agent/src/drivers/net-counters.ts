// Byte counters of a task's network namespace: /proc/<pid>/net/dev shows the interfaces of the namespace that
// process is in, so reading it for the container's first process needs no setns and no netlink.
import { promises as fs } from 'node:fs';

export interface NetCounters {
  rxBytes: number;
  txBytes: number;
}

/** Sums receive and transmit bytes of every interface in a /proc/net/dev text but loopback. */
export function parseNetDev(text: string): NetCounters {
  let rxBytes = 0;
  let txBytes = 0;
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    if (line.slice(0, colon).trim() === 'lo') continue;
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    // receive: bytes packets errs drop fifo frame compressed multicast; transmit: bytes ...
    if (f.length >= 9) {
      rxBytes += f[0] || 0;
      txBytes += f[8] || 0;
    }
  }
  return { rxBytes, txBytes };
}

/** Counters of the namespace `pid` is in; undefined when the process is gone. */
export async function readNetCounters(pid: number): Promise<NetCounters | undefined> {
  try {
    return parseNetDev(await fs.readFile(`/proc/${pid}/net/dev`, 'utf8'));
  } catch {
    return undefined;
  }
}
