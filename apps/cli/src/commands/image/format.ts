// Pure formatting of image lists and sizes for the terminal.
import type { ImageRecord } from '@tsstack/image';

export function humanSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)}${units[i]}`;
}

export function imageTable(images: ImageRecord[]): string {
  const rows = [
    ['REFERENCE', 'DIGEST', 'SIZE'],
    ...images.map((i) => [i.reference, i.digest.slice(7, 19), humanSize(i.size)]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
