// Pure live-progress model and renderer: one line per service. On a TTY the block is redrawn in place
// (cursor up + clear line); otherwise only changed lines are printed, once each.
export type ServicePhase = 'pulling' | 'starting' | 'healthy' | 'running' | 'failed' | 'removed';

export interface ServiceProgress {
  service: string;
  phase: ServicePhase;
  /** pulling: percent 0-100. */
  percent?: number;
  ready?: number;
  desired?: number;
  message?: string;
}

export function progressLine(p: ServiceProgress): string {
  switch (p.phase) {
    case 'pulling':
      return `${p.service}: pulling ${Math.round(p.percent ?? 0)}%`;
    case 'failed':
      return `${p.service}: failed${p.message ? `: ${p.message}` : ''}`;
    case 'removed':
      return `${p.service}: removed`;
    default:
      return `${p.service}: ${p.phase} ${p.ready ?? 0}/${p.desired ?? 0}${p.message ? ` (${p.message})` : ''}`;
  }
}

export class ProgressRenderer {
  private readonly state = new Map<string, ServiceProgress>();
  private readonly printed = new Map<string, string>();
  private drawnLines = 0;

  constructor(private readonly tty: boolean) {}

  /** Applies an update and returns the text to write to the terminal (may be empty). */
  update(p: ServiceProgress): string {
    this.state.set(p.service, p);
    const line = progressLine(p);
    if (!this.tty) {
      if (this.printed.get(p.service) === line) return '';
      this.printed.set(p.service, line);
      return line + '\n';
    }
    const lines = [...this.state.keys()].sort().map((s) => progressLine(this.state.get(s)!));
    const up = this.drawnLines > 0 ? `\x1b[${this.drawnLines}A` : '';
    this.drawnLines = lines.length;
    return up + lines.map((l) => `\r\x1b[2K${l}\n`).join('');
  }
}

export function renderSummary(all: ServiceProgress[], elapsedMs: number): string {
  const failed = all.filter((p) => p.phase === 'failed');
  const waiting = all.filter((p) => p.phase !== 'failed' && p.phase !== 'running' && p.phase !== 'healthy');
  const secs = (elapsedMs / 1000).toFixed(1);
  if (failed.length)
    return `${failed.length} of ${all.length} services failed after ${secs}s: ${failed.map((f) => `${f.service} (${f.message ?? 'failed'})`).join(', ')}\n`; // prettier-ignore
  if (waiting.length)
    return `${waiting.length} of ${all.length} services did not reach their goal in ${secs}s: ${waiting.map((w) => `${w.service} ${w.ready ?? 0}/${w.desired ?? '?'}${w.message ? ` (${w.message})` : ''}`).join(', ')}\n`; // prettier-ignore
  return `${all.length} services reached their goal in ${secs}s\n`;
}
