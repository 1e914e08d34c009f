// Keeps the kernel's nft table in step with the network state. Each change asks for a sync; changes asked for
// while an `nft` run is under way are served together by the next run, so a burst (ten tasks of a rolling
// update leaving their backends) costs two runs instead of ten. A run plans from the state as it is when the
// run starts, so it carries every change made until then.
import type { FirewallState } from './nft-ruleset';

export interface FirewallTarget {
  apply(state: FirewallState): Promise<void>;
  remove(): Promise<void>;
}

export class FirewallSync {
  private dirty = false;
  private force = false;
  private running?: Promise<void>;
  private appliedKey = '';

  /** `gatherMs`: how long a run waits for more changes before it plans (each `nft` run costs a process). */
  constructor(
    private readonly plan: () => FirewallState,
    private readonly target: FirewallTarget,
    private readonly gatherMs = 0,
  ) {}

  /**
   * Asks for the table to match the state. Resolves once a run that started after this call finished (or
   * at once when the table already matches); rejects when that run failed. `force` re-applies an unchanged
   * plan (after a restart, or to repair the kernel's copy).
   */
  request(force = false): Promise<void> {
    this.dirty = true;
    this.force ||= force;
    this.running ??= this.loop();
    return this.running;
  }

  private async loop(): Promise<void> {
    // Yield first: a loop with nothing to apply would otherwise end (and clear `running`) before request()
    // stored it, leaving a settled promise that swallows every later request.
    await null;
    try {
      while (this.dirty) {
        if (this.gatherMs > 0) await new Promise((r) => setTimeout(r, this.gatherMs));
        this.dirty = false;
        const force = this.force;
        this.force = false;
        const plan = this.plan();
        const key = JSON.stringify(plan);
        if (!force && key === this.appliedKey) continue;
        this.appliedKey = ''; // unknown until this run succeeds
        if (plan.networks.length) await this.target.apply(plan);
        else await this.target.remove();
        this.appliedKey = key;
      }
    } finally {
      this.running = undefined;
    }
  }
}
