// Unit and property tests: Checker.check answers the common cases without zod, with exactly zod's output
// and verdict, so the shortcut changes speed only.
import fc from 'fast-check';
import { z } from 'zod';
import { IssueList } from './issue-list';
import {
  Checker,
  zBool,
  zInt,
  zListOrMap,
  zNumber,
  zPositiveInt,
  zStr,
  zStrList,
  zUint,
} from './value-schemas';

const SCHEMAS: Array<[string, z.ZodType]> = [
  ['zStr', zStr],
  ['zInt', zInt],
  ['zUint', zUint],
  ['zPositiveInt', zPositiveInt],
  ['zNumber', zNumber],
  ['zBool', zBool],
  ['zStrList', zStrList],
  ['zListOrMap', zListOrMap],
  ['an enum', z.enum(['stop-first', 'start-first'])],
];

function viaChecker(schema: z.ZodType, value: unknown): { value: unknown; issues: number } {
  const issues = new IssueList();
  const out = new Checker({}, issues, 'f.yaml').check(schema, value, ['x'], 'a value');
  return { value: out, issues: issues.size };
}

function viaZod(schema: z.ZodType, value: unknown): { value: unknown; issues: number } {
  const r = schema.safeParse(value);
  return r.success ? { value: r.data, issues: 0 } : { value: undefined, issues: 1 };
}

const leaf = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom(
    '3',
    ' 4 ',
    '+0',
    '-2',
    '0',
    '99999999999999999999',
    'yes',
    'off',
    'start-first',
    '__proto__',
    '1.5',
  ),
  fc.integer(),
  fc.double(),
  fc.constantFrom(2 ** 60, -1, 0, Number.NaN, Number.POSITIVE_INFINITY),
  fc.boolean(),
  fc.constant(null),
);
const value = fc.oneof(
  leaf,
  fc.array(leaf, { maxLength: 3 }),
  fc.dictionary(fc.oneof(fc.string({ maxLength: 4 }), fc.constant('__proto__')), leaf, { maxKeys: 3 }),
);

describe('Checker.check', () => {
  it.each(SCHEMAS)('%s: the same output and verdict as zod for any value', (_name, schema) => {
    fc.assert(
      fc.property(value, (v) => {
        expect(viaChecker(schema, v)).toStrictEqual(viaZod(schema, v));
      }),
      { numRuns: 500 },
    );
  });

  it('gives a copy of a list or map, never the tree itself', () => {
    const list = ['A=1'];
    const map = { A: 1 };
    expect(viaChecker(zListOrMap, list).value).not.toBe(list);
    expect(viaChecker(zListOrMap, map).value).not.toBe(map);
    expect(viaChecker(zStrList, list).value).not.toBe(list);
  });
});
