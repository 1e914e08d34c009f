// Pull progress for the terminal: one bar per layer redrawn in place on a TTY, plain lines (start and end
// of each blob) otherwise. `renderBars` is pure so it is unit-tested; the class only writes.
import type { ProgressEvent } from '@tsstack/image';
import { humanSize } from './format';

export interface BlobState {
  digest: string;
  bytes: number;
  total: number;
}

/** One line per blob: short digest, a 30-cell bar, bytes done / total. */
export function renderBars(blobs: BlobState[], width = 30): string[] {
  return blobs.map((b) => {
    const frac = b.total > 0 ? Math.min(1, b.bytes / b.total) : 0;
    const full = Math.round(frac * width);
    const bar =
      '='.repeat(Math.max(0, full - 1)) +
      (full > 0 ? (frac >= 1 ? '=' : '>') : '') +
      ' '.repeat(width - full);
    const state = frac >= 1 ? 'done' : `${humanSize(b.bytes)}/${humanSize(b.total)}`;
    return `${b.digest.slice(7, 19)} [${bar}] ${state}`;
  });
}

export class PullProgress {
  private readonly blobs = new Map<string, BlobState>();
  private drawn = 0;
  private lastDraw = 0;

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {}

  readonly onProgress = (e: ProgressEvent): void => {
    if (e.phase !== 'download' || !e.digest) return;
    const known = this.blobs.get(e.digest);
    const b = known ?? { digest: e.digest, bytes: 0, total: e.total ?? 0 };
    b.bytes = e.bytes ?? b.bytes;
    this.blobs.set(e.digest, b);
    if (!this.out.isTTY) {
      if (!known) this.out.write(`downloading ${e.digest} (${humanSize(b.total)})\n`);
      else if (b.bytes >= b.total && b.total > 0) this.out.write(`downloaded ${e.digest}\n`);
      return;
    }
    const now = Date.now();
    if (known && b.bytes < b.total && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.draw();
  };

  private draw(): void {
    const lines = renderBars([...this.blobs.values()]);
    if (this.drawn) this.out.write(`\x1b[${this.drawn}A`);
    this.out.write(lines.map((l) => `\x1b[2K${l}\n`).join(''));
    this.drawn = lines.length;
  }

  /** Final redraw (all bars as they ended). */
  finish(): void {
    if (this.out.isTTY && this.blobs.size) this.draw();
  }
}
