// Pure: turns an image pull's per-blob download events into one task progress (`done`/`total` bytes summed over
// the blobs the pull fetches) and throttles how often a task reports it. No clock inside: callers pass `now`.
import type { TaskStatus } from '@tsstack/model';

export type PullProgress = NonNullable<TaskStatus['progress']>;

/** The part of libs/image's ProgressEvent the tally reads. */
export interface BlobProgressEvent {
  phase: string;
  digest?: string;
  bytes?: number;
  total?: number;
}

export const PROGRESS_INTERVAL_MS = 250;

const percentOf = (p: PullProgress): number => Math.floor((p.done * 100) / p.total);

/** Bytes per blob of one pull. A blob counts from its first download event on (the total grows as they start). */
export class PullTally {
  private readonly blobs = new Map<string, { bytes: number; total: number }>();

  /** Returns true when the sum changed. */
  add(e: BlobProgressEvent): boolean {
    if (e.phase !== 'download' || !e.digest || !e.total) return false;
    const prev = this.blobs.get(e.digest);
    const bytes = Math.min(Math.max(e.bytes ?? 0, prev?.bytes ?? 0), e.total);
    if (prev && prev.bytes === bytes && prev.total === e.total) return false;
    this.blobs.set(e.digest, { bytes, total: e.total });
    return true;
  }

  /** The sum so far; undefined before any blob started. */
  snapshot(): PullProgress | undefined {
    if (this.blobs.size === 0) return undefined;
    let done = 0;
    let total = 0;
    for (const b of this.blobs.values()) {
      done += b.bytes;
      total += b.total;
    }
    return { done, total };
  }
}

/**
 * One task's reports of a pull: the first at once, then at most one per `intervalMs` and only when the whole
 * percent or the total moved, and the last (all bytes in) by `finish` once the pull succeeded. While the pull
 * runs a snapshot with every known blob complete is not reported: more blobs may still start (the config blob
 * comes before the layers), so it is not 100%.
 */
export class ProgressThrottle {
  private lastAt?: number;
  private last?: PullProgress;
  /** The newest snapshot offered, reported or not: its total is the pull's size so far. */
  private latest?: PullProgress;
  private closed = false;

  constructor(
    private readonly emit: (p: PullProgress) => void,
    private readonly intervalMs = PROGRESS_INTERVAL_MS,
  ) {}

  offer(p: PullProgress, now: number): void {
    if (this.closed || p.total <= 0) return;
    this.latest = p;
    if (p.done >= p.total) return;
    if (this.lastAt !== undefined && now - this.lastAt < this.intervalMs) return;
    // A slow pull costs about 100 reports (and stream events) per task, not four a second for its whole length.
    if (this.last && this.last.total === p.total && percentOf(this.last) === percentOf(p)) return;
    this.lastAt = now;
    this.last = p;
    this.emit(p);
  }

  /** The pull is over: report it complete when anything was reported; later offers are ignored. */
  finish(): void {
    if (this.closed) return;
    this.closed = true;
    const total = this.latest?.total ?? 0;
    if (this.last) this.emit({ done: total, total });
  }

  /** The pull failed or was not needed: nothing more is reported. */
  close(): void {
    this.closed = true;
  }
}
