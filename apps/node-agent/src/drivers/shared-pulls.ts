// Image pulls of this agent shared between tasks: ImageStore already runs one download per reference, but
// only its first caller hears the progress. Here every task preparing with the same image (and policy)
// waits on that one pull and gets its summed progress, a late joiner starting from the sum so far.
import type { ImageRecord, ImageStore, PullPolicy } from '@tsstack/image';
import { PullTally, type PullProgress } from '../exec/pull-progress';

type Listener = (p: PullProgress) => void;

interface RunningPull {
  tally: PullTally;
  listeners: Set<Listener>;
  done: Promise<ImageRecord>;
}

export class SharedPulls {
  private readonly running = new Map<string, RunningPull>();

  constructor(private readonly images: Pick<ImageStore, 'ensure'>) {}

  /** Like ImageStore.ensure; `onProgress` hears the pull's byte sums until it resolves or fails. */
  async ensure(ref: string, policy: PullPolicy, onProgress?: Listener): Promise<ImageRecord> {
    const pull = this.join(`${policy} ${ref}`, ref, policy);
    if (!onProgress) return pull.done;
    pull.listeners.add(onProgress);
    const sofar = pull.tally.snapshot();
    if (sofar) onProgress(sofar);
    try {
      return await pull.done;
    } finally {
      pull.listeners.delete(onProgress);
    }
  }

  private join(key: string, ref: string, policy: PullPolicy): RunningPull {
    const running = this.running.get(key);
    if (running) return running;
    const tally = new PullTally();
    const listeners = new Set<Listener>();
    const done = this.images
      .ensure(ref, policy, {
        onProgress: (e) => {
          if (!tally.add(e)) return;
          const p = tally.snapshot()!;
          for (const l of listeners) l(p);
        },
      })
      .finally(() => this.running.delete(key));
    const pull = { tally, listeners, done };
    this.running.set(key, pull);
    return pull;
  }
}
