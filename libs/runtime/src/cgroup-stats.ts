// Reads a container's usage back from its cgroup (v1 or v2, whichever the shim recorded in state.json).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ContainerStats } from './types';

export interface CgroupRecord {
  version: 1 | 2;
  dirs: Record<string, string>;
}

function read(dir: string | undefined, file: string): string | undefined {
  if (!dir) return undefined;
  try {
    return fs.readFileSync(path.join(dir, file), 'utf8').trim();
  } catch {
    return undefined;
  }
}

function keyed(text: string | undefined, key: string): number | undefined {
  const m = text && new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

const NO_LIMIT_V1 = 2 ** 62;

export function readCgroupStats(cg: CgroupRecord): ContainerStats {
  if (cg.version === 2) {
    const dir = cg.dirs.unified;
    const max = read(dir, 'memory.max');
    const stat = read(dir, 'memory.stat');
    const current = Number(read(dir, 'memory.current') ?? 0);
    return {
      cpuUsageNs: (keyed(read(dir, 'cpu.stat'), 'usage_usec') ?? 0) * 1000,
      memoryUsageBytes: current - (keyed(stat, 'inactive_file') ?? 0),
      memoryLimitBytes: max && max !== 'max' ? Number(max) : undefined,
      pids: Number(read(dir, 'pids.current') ?? 0),
      readAt: Date.now(),
    };
  }
  const mem = cg.dirs.memory;
  const limit = Number(read(mem, 'memory.limit_in_bytes') ?? NaN);
  const stat = read(mem, 'memory.stat');
  return {
    cpuUsageNs: Number(read(cg.dirs.cpuacct, 'cpuacct.usage') ?? 0),
    memoryUsageBytes:
      Number(read(mem, 'memory.usage_in_bytes') ?? 0) - (keyed(stat, 'total_inactive_file') ?? 0),
    memoryLimitBytes: Number.isFinite(limit) && limit < NO_LIMIT_V1 ? limit : undefined,
    pids: Number(read(cg.dirs.pids, 'pids.current') ?? 0),
    readAt: Date.now(),
  };
}

export function detectCgroupVersion(): 1 | 2 {
  try {
    return fs.existsSync('/sys/fs/cgroup/cgroup.controllers') ? 2 : 1;
  } catch {
    return 1;
  }
}
