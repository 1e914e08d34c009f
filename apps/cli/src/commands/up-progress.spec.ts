import type { TsstackEvent } from '@tsstack/model';
import { eventWaker } from './up-progress';

describe('eventWaker (up progress follows the event stream)', () => {
  let fire: () => void;
  let query: Record<string, string | undefined>;
  const client = {
    events(q: Record<string, string | undefined>, onEvent: (e: TsstackEvent) => void) {
      query = q;
      fire = () => onEvent({ type: 'task.state' } as TsstackEvent);
      return new Promise<void>(() => undefined);
    },
  };
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('wakes on an event of the stack, but not before the minimum gap', async () => {
    const w = eventWaker(client, 'web');
    expect(query).toEqual({ stack: 'web' });
    let done = false;
    void w.next(150, 1000).then(() => (done = true));
    await jest.advanceTimersByTimeAsync(50);
    fire();
    await jest.advanceTimersByTimeAsync(50);
    expect(done).toBe(false);
    await jest.advanceTimersByTimeAsync(60);
    expect(done).toBe(true);
    w.close();
  });

  it('reads again after the maximum wait without events, and keeps an event seen between waits', async () => {
    const w = eventWaker(client, 'web');
    let done = false;
    void w.next(150, 1000).then(() => (done = true));
    await jest.advanceTimersByTimeAsync(990);
    expect(done).toBe(false);
    await jest.advanceTimersByTimeAsync(20);
    expect(done).toBe(true);
    fire(); // between two waits
    done = false;
    void w.next(150, 1000).then(() => (done = true));
    await jest.advanceTimersByTimeAsync(160);
    expect(done).toBe(true);
    w.close();
  });
});
