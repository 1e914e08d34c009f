// `tsstack stats -p <stack> [service...]`: cpu %, memory and pids per running task, from two readings of the
// controller's GET /v1/services/:stack/:service/stats over an interval (cpu % = Δ cpuUsageNs / Δ wall time).
import type { Command } from 'commander';
import type { ApiClient } from '../client/api-client';
import { CliError } from '../client/cli-errors';
import { makeClient, withContext } from '../client/make-client';
import { renderTable } from '../render/table-renderer';
import { withStackTarget } from './stack-file';

export interface StatsReading {
  cpuUsageNs: number;
  memoryUsageBytes: number;
  memoryLimitBytes?: number;
  pids: number;
  readAt: number;
}

export interface ProbeAnswer<T> {
  task: string;
  node: string;
  slot?: number;
  data?: T;
  error?: string;
}

export interface StatsRow {
  service: string;
  task: string;
  slot?: number;
  cpuPercent?: number;
  memoryUsageBytes?: number;
  memoryLimitBytes?: number;
  pids?: number;
  error?: string;
}

/** Pure: one row per task of the second reading, cpu % from the matching first reading. */
export function statsRows(
  service: string,
  first: ProbeAnswer<StatsReading>[],
  second: ProbeAnswer<StatsReading>[],
): StatsRow[] {
  const before = new Map(first.map((a) => [a.task, a.data]));
  return second.map((a) => {
    const base = { service, task: a.task, ...(a.slot !== undefined ? { slot: a.slot } : {}) };
    if (!a.data) return { ...base, error: a.error ?? 'no stats' };
    const b = before.get(a.task);
    const dt = b ? (a.data.readAt - b.readAt) * 1e6 : 0;
    const cpuPercent = b && dt > 0 ? Math.max(0, ((a.data.cpuUsageNs - b.cpuUsageNs) / dt) * 100) : undefined;
    return {
      ...base,
      ...(cpuPercent !== undefined ? { cpuPercent: Math.round(cpuPercent * 100) / 100 } : {}),
      memoryUsageBytes: a.data.memoryUsageBytes,
      ...(a.data.memoryLimitBytes !== undefined ? { memoryLimitBytes: a.data.memoryLimitBytes } : {}),
      pids: a.data.pids,
    };
  });
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(2)}${units[i]}`;
}

export function renderStats(rows: StatsRow[]): string {
  return renderTable(
    ['NAME', 'TASK', 'CPU %', 'MEM USAGE / LIMIT', 'PIDS'],
    rows.map((r) => [
      `${r.service}.${r.slot ?? '-'}`,
      r.task.slice(0, 12),
      r.error ? `error: ${r.error}` : r.cpuPercent === undefined ? '--' : `${r.cpuPercent.toFixed(2)}%`,
      r.memoryUsageBytes === undefined
        ? '--'
        : `${formatBytes(r.memoryUsageBytes)} / ${r.memoryLimitBytes === undefined ? 'no limit' : formatBytes(r.memoryLimitBytes)}`,
      r.pids === undefined ? '--' : String(r.pids),
    ]),
  );
}

/** The services named, else every service of the stack (404 names the missing stack). */
export async function stackServices(client: ApiClient, stack: string, named: string[]): Promise<string[]> {
  if (named.length) return named;
  const all = (await client.listServices(stack)) as Array<{ service: string }>;
  if (!all.length)
    throw new CliError('NOT_FOUND', `stack ${stack} has no services: deploy it with \`tsstack up\``, 1);
  return all.map((s) => s.service).sort();
}

export function probe<T>(client: ApiClient, stack: string, service: string, op: 'stats' | 'top') {
  return client.request<ProbeAnswer<T>[]>(
    'GET',
    `/v1/services/${encodeURIComponent(stack)}/${encodeURIComponent(service)}/${op}`,
  );
}

async function readAll(client: ApiClient, stack: string, services: string[]) {
  return Promise.all(services.map((s) => probe<StatsReading>(client, stack, s, 'stats')));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function register(program: Command): void {
  withStackTarget(withContext(program.command('stats')))
    .description('show resource usage of tasks (cpu %, memory, pids)')
    .argument('[services...]')
    .option('--format <format>', 'table|json', 'table')
    .option('--no-stream', 'print one reading and exit')
    .option('--interval <ms>', 'time between the two cpu readings', '1000')
    .action(
      async (
        services: string[],
        o: { projectName: string; format: string; stream: boolean; interval: string },
        cmd: Command,
      ) => {
        if (o.format !== 'table' && o.format !== 'json')
          throw new CliError('USAGE', `--format ${o.format}: use table or json`, 2);
        const interval = Number(o.interval);
        if (!Number.isFinite(interval) || interval < 100)
          throw new CliError('USAGE', `--interval ${o.interval}: use a number of milliseconds >= 100`, 2);
        const client = makeClient(cmd);
        const names = await stackServices(client, o.projectName, services);
        let prev = await readAll(client, o.projectName, names);
        for (;;) {
          await sleep(interval);
          const next = await readAll(client, o.projectName, names);
          const rows = names.flatMap((s, i) => statsRows(s, prev[i]!, next[i]!));
          if (o.format === 'json') process.stdout.write(JSON.stringify(rows) + '\n');
          else {
            if (o.stream && process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[H');
            process.stdout.write(renderStats(rows));
          }
          if (!o.stream) return;
          prev = next;
        }
      },
    );
}
