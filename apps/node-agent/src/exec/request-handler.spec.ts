import { parseSince } from './request-handler';

describe('parseSince', () => {
  const now = Date.parse('2026-11-23T12:00:00Z');
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['1795449600', 1795449600_000],
    ['10m', now - 600_000],
    ['1h30m', now - 5_400_000],
    ['2026-11-23T11:00:00Z', now - 3_600_000],
  ])('%s', (input, want) => expect(parseSince(input, now)).toBe(want));
  it('refuses what it cannot read, saying what it takes', () =>
    expect(() => parseSince('yesterday', now)).toThrow(
      /unix seconds, a duration like 10m, or an RFC 3339 time/,
    ));
});
