// Host-mode port publishing decisions: checks a task's requested ports, refuses one already published by
// another task on this host (same protocol and port, overlapping host IP), and picks an ephemeral host port
// (Compose `ports: ["80"]`) from the range Linux uses for them. Pure.
import type { PublishedPort } from './types';

/** A requested port; without `published` an ephemeral one is chosen. */
export type PortRequest = Omit<PublishedPort, 'published'> & { published?: number };

export const EPHEMERAL_RANGE: [number, number] = [32768, 60999];

interface Held extends PublishedPort {
  taskId: string;
}

const clash = (a: PublishedPort, b: PublishedPort) =>
  a.protocol === b.protocol &&
  a.published === b.published &&
  (!a.hostIp || !b.hostIp || a.hostIp === b.hostIp);

export function planHostPorts(
  taskId: string,
  requested: PortRequest[],
  published: Record<string, PublishedPort[]>,
  range: [number, number] = EPHEMERAL_RANGE,
): { ports: PublishedPort[]; problems: string[] } {
  const held: Held[] = Object.entries(published)
    .filter(([t]) => t !== taskId)
    .flatMap(([t, list]) => list.map((p) => ({ ...p, taskId: t })));
  const problems: string[] = [];
  const ports: PublishedPort[] = [];
  const valid = (n: number | undefined) => n === undefined || (Number.isInteger(n) && n > 0 && n < 65536);
  for (const r of requested) {
    const label = `${r.published ?? '(ephemeral)'}:${r.target}/${r.protocol}`;
    if (!valid(r.published) || !valid(r.target)) {
      problems.push(`task ${taskId}: port ${label} is out of range 1-65535`);
      continue;
    }
    if (r.published !== undefined) {
      const p = { ...r, published: r.published };
      const other = [...held, ...ports.map((x) => ({ ...x, taskId }))].find((h) => clash(h, p));
      if (other) problems.push(`task ${taskId}: port ${label} is already published by task ${other.taskId}`);
      else ports.push(p);
      continue;
    }
    let chosen: number | undefined;
    for (let n = range[0]; n <= range[1] && chosen === undefined; n++) {
      const p = { ...r, published: n };
      if (![...held, ...ports].some((h) => clash(h, p))) chosen = n;
    }
    if (chosen === undefined) problems.push(`task ${taskId}: no free ephemeral port left for ${label}`);
    else ports.push({ ...r, published: chosen });
  }
  return { ports, problems };
}
