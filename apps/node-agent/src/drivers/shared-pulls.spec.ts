// SharedPulls over a fake ImageStore.ensure: one pull per image and policy, its progress heard by every task
// that waits on it, a late joiner first hearing the sum so far.
import type { ImageRecord, PullOptions } from '@tsstack/image';
import type { PullProgress } from '../exec/pull-progress';
import { SharedPulls } from './shared-pulls';

function fakeImages() {
  const calls: Array<{ ref: string; policy: string; opts?: PullOptions }> = [];
  const pending: Array<{ res: (r: ImageRecord) => void; rej: (e: Error) => void }> = [];
  const images = {
    ensure: (ref: string, policy: string, opts?: PullOptions) => {
      calls.push({ ref, policy, opts });
      return new Promise<ImageRecord>((res, rej) => pending.push({ res, rej }));
    },
  };
  const emit = (digest: string, bytes: number, total: number) =>
    calls[0]!.opts!.onProgress!({ phase: 'download', digest, bytes, total });
  return {
    images,
    calls,
    emit,
    finish: (r: ImageRecord, i = 0) => pending[i]!.res(r),
    fail: (e: Error, i = 0) => pending[i]!.rej(e),
  };
}

const record = { reference: 'x' } as unknown as ImageRecord;

describe('SharedPulls', () => {
  it('runs one pull for concurrent tasks and gives each the summed progress', async () => {
    const f = fakeImages();
    const pulls = new SharedPulls(f.images);
    const a: PullProgress[] = [];
    const b: PullProgress[] = [];
    const pa = pulls.ensure('reg/app:1', 'missing', (p) => a.push(p));
    f.emit('l1', 100, 1000);
    const pb = pulls.ensure('reg/app:1', 'missing', (p) => b.push(p));
    f.emit('l2', 50, 1000);
    f.finish(record);
    await expect(Promise.all([pa, pb])).resolves.toEqual([record, record]);
    expect(f.calls).toHaveLength(1);
    expect(a).toEqual([
      { done: 100, total: 1000 },
      { done: 150, total: 2000 },
    ]);
    expect(b).toEqual([
      { done: 100, total: 1000 },
      { done: 150, total: 2000 },
    ]);
  });

  it('keeps pulls of other policies apart and starts a new pull after the last one ended', async () => {
    const f = fakeImages();
    const pulls = new SharedPulls(f.images);
    const missing = pulls.ensure('reg/app:1', 'missing');
    const always = pulls.ensure('reg/app:1', 'always');
    expect(f.calls.map((c) => c.policy)).toEqual(['missing', 'always']);
    f.finish(record, 0);
    f.fail(new Error('gone'), 1);
    await expect(missing).resolves.toBe(record);
    await expect(always).rejects.toThrow('gone');
    const again = pulls.ensure('reg/app:1', 'always');
    expect(f.calls).toHaveLength(3);
    f.finish(record, 2);
    await expect(again).resolves.toBe(record);
  });

  it('passes a failed pull to every waiter and stops telling them progress', async () => {
    const f = fakeImages();
    const pulls = new SharedPulls(f.images);
    const heard: PullProgress[] = [];
    const p = pulls.ensure('reg/app:1', 'missing', (x) => heard.push(x));
    f.fail(new Error('registry down'));
    await expect(p).rejects.toThrow('registry down');
    f.emit('l1', 5, 10);
    expect(heard).toEqual([]);
  });
});
