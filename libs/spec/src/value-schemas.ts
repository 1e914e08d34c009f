// libs/spec: zod schemas of Compose value shapes, with the casts Compose applies to interpolated values
// ("3" for an integer, "yes"/"off" for a boolean), and the Checker that validates a value at a field path and
// turns zod issues into located SpecIssues with a plain message.
import { z } from 'zod';
import type { IssueList } from './issue-list';
import { fieldMessage, judgeField } from './compose-fields';
import { isPlainObject, type PathSeg, type Tree } from './source-locations';
import { show, type Parsed } from './units';

const TRUE = new Set(['y', 'yes', 'true', 'on']);
const FALSE = new Set(['n', 'no', 'false', 'off']);

export const zInt = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^\s*[-+]?\d+\s*$/)
    .transform(Number),
]);
export const zUint = zInt.pipe(z.number().min(0));
export const zNumber = z.union([
  z.number(),
  z
    .string()
    .regex(/^\s*[-+]?\d+(\.\d+)?\s*$/)
    .transform(Number),
]);
export const zBool = z.union([
  z.boolean(),
  z
    .string()
    .refine((s) => TRUE.has(s.toLowerCase()) || FALSE.has(s.toLowerCase()), 'expected a boolean (true/false)')
    .transform((s) => TRUE.has(s.toLowerCase())),
]);
export const zStr = z.union([z.string(), z.number().transform(String)]);
export const zStrList = z.array(zStr);
export const zStrOrList = z.union([zStr.transform((s) => [s]), zStrList]);
export const zScalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
/** `KEY=VAL` list or a map of scalars. */
export const zListOrMap = z.union([z.array(zStr), z.record(z.string(), zScalar)]);

export class Checker {
  constructor(
    readonly root: Tree,
    readonly issues: IssueList,
    readonly fallbackFile: string,
  ) {}

  error(path: readonly PathSeg[], message: string): void {
    this.issues.add(this.root, path, message, this.fallbackFile);
  }

  /** Validates `value` (at `path`) against `schema`; undefined and located issues when it does not fit. */
  check<S extends z.ZodType>(
    schema: S,
    value: unknown,
    path: readonly PathSeg[],
    what: string,
  ): z.output<S> | undefined {
    const r = schema.safeParse(value);
    if (r.success) return r.data as z.output<S>;
    const first = r.error.issues[0]!;
    if (first.code === 'invalid_union' || first.path.length === 0) {
      const custom = first.code === 'custom' ? first.message : undefined;
      this.error(path, custom ?? `expected ${what}, got ${show(value)}`);
    } else {
      this.error([...path, ...(first.path as PathSeg[])], first.message.replace(/^Invalid input: /, ''));
    }
    return undefined;
  }

  /** Reports a Parsed failure; returns the value or undefined. */
  parsed<T>(p: Parsed<T>, path: readonly PathSeg[]): T | undefined {
    if (p.ok) return p.value;
    this.error(path, p.message);
    return undefined;
  }

  /** A mapping at `path`, its keys judged against a field list; undefined (issue added) if not a mapping. */
  mapping(
    value: unknown,
    path: readonly PathSeg[],
    fields?: { supported: readonly string[]; unsupported: readonly string[] },
  ): Tree | undefined {
    if (!isPlainObject(value)) {
      this.error(path, `expected a mapping, got ${show(value)}`);
      return undefined;
    }
    if (fields) {
      for (const k of Object.keys(value)) {
        const msg = fieldMessage(k, judgeField(k, fields.supported, fields.unsupported));
        if (msg) this.issues.addKey(this.root, [...path, k], msg, this.fallbackFile);
      }
    }
    return value;
  }
}

/** A `KEY=VAL` list or map -> map of strings; `KEY` alone / null -> `bare(key)` (omitted when undefined). */
export function toStringMap(
  v: z.output<typeof zListOrMap> | undefined,
  bare: (key: string) => string | undefined = () => '',
  sep = '=',
): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (k: string, val: string | undefined): void => {
    if (val !== undefined)
      Object.defineProperty(out, k, { value: val, enumerable: true, writable: true, configurable: true });
  };
  if (!v) return out;
  if (Array.isArray(v)) {
    for (const item of v) {
      const i = item.indexOf(sep);
      if (i < 0) put(item, bare(item));
      else put(item.slice(0, i), item.slice(i + 1));
    }
  } else {
    for (const [k, val] of Object.entries(v)) put(k, val === null ? bare(k) : String(val));
  }
  return out;
}
