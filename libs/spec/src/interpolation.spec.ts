// Unit tests: Compose interpolation forms, table-driven, and round-trip properties (fast-check).
import fc from 'fast-check';
import { escapeDollars, interpolate, InterpolationError } from './interpolation';

const vars: Record<string, string> = { SET: 'val', EMPTY: '', NUM: '42', lower_case: 'lc' };
const lookup = (n: string): string | undefined => vars[n];

describe('interpolate', () => {
  it.each([
    ['plain', 'plain'],
    ['$SET', 'val'],
    ['${SET}', 'val'],
    ['a${SET}b', 'avalb'],
    ['$SET-x', 'val-x'],
    ['$lower_case', 'lc'],
    ['$UNSET', ''],
    ['${UNSET}', ''],
    ['${UNSET:-def}', 'def'],
    ['${EMPTY:-def}', 'def'],
    ['${EMPTY-def}', ''],
    ['${UNSET-def}', 'def'],
    ['${SET:-def}', 'val'],
    ['${SET:+alt}', 'alt'],
    ['${EMPTY:+alt}', ''],
    ['${EMPTY+alt}', 'alt'],
    ['${UNSET+alt}', ''],
    ['${UNSET:-${SET}}', 'val'],
    ['${UNSET:-${ALSO_UNSET:-deep}}', 'deep'],
    ['${UNSET:-a}}', 'a}'],
    ['$$SET', '$SET'],
    ['$${SET}', '${SET}'],
    ['$$$SET', '$val'],
    ['cost: 5$', 'cost: 5$'],
    ['$1 and $ ', '$1 and $ '],
    ['${NUM:-0}0', '420'],
    ['${UNSET:-with space and : colon}', 'with space and : colon'],
  ])('%s -> %s', (input, expected) => {
    expect(interpolate(input, lookup)).toBe(expected);
  });

  it.each([
    ['${UNSET:?need it}', /required variable UNSET is missing a value: need it/],
    ['${EMPTY:?}', /required variable EMPTY/],
    ['${UNSET?x}', /required variable UNSET/],
    ['${}', /invalid interpolation format/],
    ['${SET', /invalid interpolation format/],
    ['${1A}', /invalid interpolation format/],
    ['${SET*x}', /invalid interpolation format/],
    ['${UNSET:-${BAD}', /invalid interpolation format/],
  ])('%s fails: %s', (input, re) => {
    expect(() => interpolate(input, lookup)).toThrow(InterpolationError);
    expect(() => interpolate(input, lookup)).toThrow(re);
  });

  it('${EMPTY?x} keeps an empty but set variable', () => {
    expect(interpolate('${EMPTY?x}', lookup)).toBe('');
  });

  it('property: an escaped string interpolates back to itself', () => {
    fc.assert(fc.property(fc.string(), (s) => interpolate(escapeDollars(s), lookup) === s));
  });

  it('property: text without $ is unchanged', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !s.includes('$')),
        (s) => interpolate(s, lookup) === s,
      ),
    );
  });

  it('property: ${NAME:-default} gives the variable when set and non-empty, else the default', () => {
    const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/);
    const text = fc.string().filter((s) => !/[$}]/.test(s));
    fc.assert(
      fc.property(name, fc.option(text), text, (n, value, def) => {
        const got = interpolate(`\${${n}:-${def}}`, (x) => (x === n ? (value ?? undefined) : undefined));
        return got === (value ? value : def);
      }),
    );
  });

  it('property: any input either interpolates or throws InterpolationError', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('$', '{', '}', ':', '-', '?', '+', 'A', '_', '1', ' ') }),
        (s) => {
          try {
            interpolate(s, lookup);
          } catch (err) {
            if (!(err instanceof InterpolationError)) throw err;
          }
        },
      ),
    );
  });
});
