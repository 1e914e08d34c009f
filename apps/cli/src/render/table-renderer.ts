// Pure renderer of aligned text tables (ps, ls) and of the ps rows from tasks.
import type { TaskRow } from '../client/api-types';

export function renderTable(headers: string[], rows: Array<Array<string | number | undefined>>): string {
  const cells = rows.map((r) =>
    headers.map((_, i) => (r[i] === undefined || r[i] === '' ? '-' : String(r[i]))),
  );
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((s, i) => (i === c.length - 1 ? s : s.padEnd(widths[i]!))).join('  ');
  return [line(headers), ...cells.map(line)].join('\n') + '\n';
}

export const PS_HEADERS = [
  'SERVICE',
  'TASK',
  'SLOT',
  'NODE',
  'STATE',
  'DESIRED',
  'CONTAINER',
  'EXIT',
  'ERROR',
];

export function renderPs(tasks: TaskRow[]): string {
  const sorted = [...tasks].sort(
    (a, b) => a.service.localeCompare(b.service) || (a.slot ?? 0) - (b.slot ?? 0),
  );
  return renderTable(
    PS_HEADERS,
    sorted.map((t) => [
      t.service,
      t.task.slice(0, 12),
      t.slot,
      t.node,
      t.state,
      t.desiredState,
      t.containerId?.slice(0, 12),
      t.exitCode,
      t.error,
    ]),
  );
}
