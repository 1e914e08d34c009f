// Pure tests: per-blob download events summed into one task progress, and the throttle of its reports.
import { ProgressThrottle, PullTally, type PullProgress } from './pull-progress';

const dl = (digest: string, bytes: number, total: number) => ({ phase: 'download', digest, bytes, total });

describe('PullTally', () => {
  it('knows nothing before a blob starts, and ignores events that are not downloads', () => {
    const t = new PullTally();
    expect(t.add({ phase: 'resolve' })).toBe(false);
    expect(t.add({ phase: 'done', digest: 'sha256:m' })).toBe(false);
    expect(t.snapshot()).toBeUndefined();
  });

  it('sums the bytes of every started blob over their sizes', () => {
    const t = new PullTally();
    t.add(dl('a', 0, 1000));
    t.add(dl('b', 0, 3000));
    t.add(dl('a', 400, 1000));
    t.add(dl('b', 1200, 3000));
    expect(t.snapshot()).toEqual({ done: 1600, total: 4000 });
  });

  it('never counts a blob backwards (a retried download restarts at 0) nor past its size', () => {
    const t = new PullTally();
    t.add(dl('a', 700, 1000));
    expect(t.add(dl('a', 0, 1000))).toBe(false);
    t.add(dl('a', 5000, 1000));
    expect(t.snapshot()).toEqual({ done: 1000, total: 1000 });
  });

  it('reports no change for a repeated event', () => {
    const t = new PullTally();
    expect(t.add(dl('a', 10, 100))).toBe(true);
    expect(t.add(dl('a', 10, 100))).toBe(false);
  });
});

describe('ProgressThrottle', () => {
  const setup = (intervalMs = 250) => {
    const sent: PullProgress[] = [];
    return { sent, th: new ProgressThrottle((p) => sent.push(p), intervalMs) };
  };

  it('reports the first offer at once, then at most one per interval', () => {
    const { sent, th } = setup();
    th.offer({ done: 1, total: 100 }, 1000);
    th.offer({ done: 2, total: 100 }, 1100);
    th.offer({ done: 3, total: 100 }, 1249);
    th.offer({ done: 4, total: 100 }, 1250);
    th.offer({ done: 5, total: 100 }, 1400);
    th.offer({ done: 6, total: 100 }, 1500);
    expect(sent).toEqual([
      { done: 1, total: 100 },
      { done: 4, total: 100 },
      { done: 6, total: 100 },
    ]);
  });

  it('skips a report whose whole percent and total did not move, however long ago the last one was', () => {
    const { sent, th } = setup();
    th.offer({ done: 100, total: 10_000 }, 0);
    th.offer({ done: 199, total: 10_000 }, 1000);
    th.offer({ done: 200, total: 10_000 }, 2000);
    th.offer({ done: 200, total: 20_000 }, 3000);
    expect(sent).toEqual([
      { done: 100, total: 10_000 },
      { done: 200, total: 10_000 },
      { done: 200, total: 20_000 },
    ]);
  });

  it('does not call a pull complete while it runs: all known blobs in may be the config before the layers', () => {
    const { sent, th } = setup();
    th.offer({ done: 10, total: 10 }, 0);
    th.offer({ done: 10, total: 510 }, 1);
    expect(sent).toEqual([{ done: 10, total: 510 }]);
  });

  it('reports the last one, complete over the newest total, once the pull ends; nothing after it', () => {
    const { sent, th } = setup();
    th.offer({ done: 0, total: 500 }, 0);
    th.offer({ done: 100, total: 900 }, 10);
    th.finish();
    th.offer({ done: 1, total: 2 }, 10_000);
    th.finish();
    expect(sent).toEqual([
      { done: 0, total: 500 },
      { done: 900, total: 900 },
    ]);
  });

  it('reports nothing when nothing was pulled, nor after a failed pull is closed', () => {
    const a = setup();
    a.th.finish();
    expect(a.sent).toEqual([]);
    const b = setup();
    b.th.offer({ done: 1, total: 10 }, 0);
    b.th.close();
    b.th.offer({ done: 5, total: 10 }, 1000);
    b.th.finish();
    expect(b.sent).toEqual([{ done: 1, total: 10 }]);
  });
});
