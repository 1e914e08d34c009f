// Unit tests: duration, byte size, CPU and mode parsing, table-driven.
import { parseBytes, parseDurationMs, parseMode, parseNanoCpus } from './units';

describe('parseDurationMs', () => {
  it.each([
    ['30s', 30_000],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['500ms', 500],
    ['1.5s', 1500],
    ['2h45m', 9_900_000],
    ['10us', 0.01],
    ['0', 0],
    ['0s', 0],
  ])('%s = %d ms', (s, ms) => expect(parseDurationMs(s)).toEqual({ ok: true, value: ms }));
  it.each([['30'], ['1x'], [''], ['s'], ['1m 30s'], [30], [null]])('%p is refused', (v) => {
    expect(parseDurationMs(v).ok).toBe(false);
  });
});

describe('parseBytes', () => {
  it.each([
    ['512m', 512 * 1024 ** 2],
    ['1g', 1024 ** 3],
    ['1GB', 1024 ** 3],
    ['1.5g', 1.5 * 1024 ** 3],
    ['100k', 102_400],
    ['100kb', 102_400],
    ['64MiB', 64 * 1024 ** 2],
    ['1024', 1024],
    ['1024b', 1024],
    [2048, 2048],
  ])('%p = %d bytes', (s, n) => expect(parseBytes(s)).toEqual({ ok: true, value: n }));
  it.each([['12x'], ['m'], ['-1m'], [-5], [true]])('%p is refused', (v) =>
    expect(parseBytes(v).ok).toBe(false),
  );
});

describe('parseNanoCpus', () => {
  it.each([
    [0.5, 500_000_000],
    ['1.5', 1_500_000_000],
    [2, 2_000_000_000],
  ])('%p cpus', (v, n) => expect(parseNanoCpus(v)).toEqual({ ok: true, value: n }));
  it('refuses words', () => expect(parseNanoCpus('half').ok).toBe(false));
});

describe('parseMode', () => {
  it.each([
    [0o440, 0o440],
    ['0440', 0o440],
    ['755', 0o755],
  ])('%p', (v, n) => expect(parseMode(v)).toEqual({ ok: true, value: n }));
  it('refuses 9', () => expect(parseMode('9').ok).toBe(false));
});
