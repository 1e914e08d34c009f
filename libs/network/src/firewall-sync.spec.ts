import { FirewallSync, type FirewallTarget } from './firewall-sync';
import type { FirewallState } from './nft-ruleset';

/** A target whose runs finish only when the test lets them, recording the plan of each run. */
function gatedTarget() {
  const runs: FirewallState[] = [];
  const gates: Array<(err?: Error) => void> = [];
  const target: FirewallTarget = {
    apply: (plan) => {
      runs.push(structuredClone(plan));
      return new Promise<void>((resolve, reject) => gates.push((err) => (err ? reject(err) : resolve())));
    },
    remove: () => {
      runs.push({ networks: [] } as unknown as FirewallState);
      return Promise.resolve();
    },
  };
  const finish = async (err?: Error) => {
    while (gates.length === 0) await new Promise((r) => setImmediate(r));
    gates.shift()!(err);
  };
  return { target, runs, finish };
}

const tick = () => new Promise((r) => setImmediate(r));

const planWith = (n: number) => ({ networks: [{ id: `n${n}` }] }) as unknown as FirewallState;

describe('FirewallSync', () => {
  it('serves every request made during a run with one more run, planned from the newest state', async () => {
    let version = 1;
    const { target, runs, finish } = gatedTarget();
    const sync = new FirewallSync(() => planWith(version), target);
    const first = sync.request();
    await tick(); // the first run is under way
    const during = Array.from({ length: 10 }, () => {
      version++;
      return sync.request();
    });
    await finish();
    await finish();
    await Promise.all([first, ...during]);
    expect(runs).toEqual([planWith(1), planWith(11)]);
  });

  it('resolves a request only after a run that started after it', async () => {
    let version = 1;
    const { target, finish } = gatedTarget();
    const sync = new FirewallSync(() => planWith(version), target);
    void sync.request();
    await tick();
    version = 2;
    let done = false;
    const later = sync.request().then(() => (done = true));
    await finish();
    await tick();
    expect(done).toBe(false);
    await finish();
    await later;
    expect(done).toBe(true);
  });

  it('skips an unchanged plan unless forced, and removes the table when no network is left', async () => {
    let networks = 1;
    const { target, runs, finish } = gatedTarget();
    const sync = new FirewallSync(() => (networks ? planWith(1) : ({ networks: [] } as never)), target);
    const a = sync.request();
    await finish();
    await a;
    await sync.request();
    expect(runs).toHaveLength(1);
    const forced = sync.request(true);
    await finish();
    await forced;
    expect(runs).toHaveLength(2);
    networks = 0;
    await sync.request();
    expect(runs[2]).toEqual({ networks: [] });
  });

  it('rejects the waiters of a failed run and applies again on the next request', async () => {
    const { target, runs, finish } = gatedTarget();
    const sync = new FirewallSync(() => planWith(1), target);
    const failing = sync.request();
    await finish(new Error('nft: syntax error'));
    await expect(failing).rejects.toThrow('nft: syntax error');
    const again = sync.request();
    await finish();
    await again;
    expect(runs).toHaveLength(2);
  });
});

describe('FirewallSync with a gathering window', () => {
  it('serves changes made within the window with the same run', async () => {
    let version = 1;
    const { target, runs, finish } = gatedTarget();
    const sync = new FirewallSync(() => planWith(version), target, 30);
    const first = sync.request();
    await new Promise((r) => setTimeout(r, 5));
    version = 2;
    const second = sync.request();
    await finish();
    await Promise.all([first, second]);
    expect(runs).toEqual([planWith(2)]);
  });
});
