// Pure rendering of pull progress bars.
import { renderBars } from './pull-progress';

test('bars show progress per blob and done when complete', () => {
  const d = (c: string): string => 'sha256:' + c.repeat(64);
  expect(
    renderBars(
      [
        { digest: d('a'), bytes: 0, total: 1000 },
        { digest: d('b'), bytes: 500, total: 1000 },
        { digest: d('c'), bytes: 1000, total: 1000 },
      ],
      10,
    ),
  ).toEqual([
    'aaaaaaaaaaaa [          ] 0B/1.0kB',
    'bbbbbbbbbbbb [====>     ] 500B/1.0kB',
    'cccccccccccc [==========] done',
  ]);
});
