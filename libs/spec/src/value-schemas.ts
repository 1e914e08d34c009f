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

const INT_TEXT = /^\s*[-+]?\d+\s*$/;
export const zInt = z.union([z.number().int(), z.string().regex(INT_TEXT).transform(Number)]);
export const zUint = zInt.pipe(z.number().min(0));
export const zPositiveInt = zInt.pipe(z.number().min(1));
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

const NOT_TRIVIAL = Symbol('not trivial');

/**
 * The common, already well-typed case of the schemas checked once or more per service, answered without
 * zod (whose parse dominated normalization): the same output zod gives, or NOT_TRIVIAL to ask zod.
 */
function trivialParse(schema: z.ZodType, v: unknown): unknown {
  if (schema === zStr) return typeof v === 'string' ? v : NOT_TRIVIAL;
  if (schema === zInt) return Number.isSafeInteger(v) ? v : NOT_TRIVIAL;
  if (schema === zUint) return Number.isSafeInteger(v) && (v as number) >= 0 ? v : NOT_TRIVIAL;
  if (schema === zPositiveInt) {
    // Also `"3"`, as interpolation and quoting leave it (logging's max-file is usually quoted).
    const n = typeof v === 'string' && INT_TEXT.test(v) ? Number(v) : v;
    return Number.isSafeInteger(n) && (n as number) >= 1 ? n : NOT_TRIVIAL;
  }
  if (schema === zNumber) return Number.isFinite(v) ? v : NOT_TRIVIAL;
  if (schema === zBool) return typeof v === 'boolean' ? v : NOT_TRIVIAL;
  if (schema === zStrList) return isStringList(v) ? [...v] : NOT_TRIVIAL;
  if (schema === zListOrMap) {
    if (isStringList(v)) return [...v];
    if (isPlainObject(v) && !Object.prototype.hasOwnProperty.call(v, '__proto__')) {
      for (const k in v) if (!isScalar(v[k])) return NOT_TRIVIAL;
      return { ...v };
    }
    return NOT_TRIVIAL;
  }
  if (schema instanceof z.ZodEnum)
    return typeof v === 'string' && (schema.options as unknown[]).includes(v) ? v : NOT_TRIVIAL;
  return NOT_TRIVIAL;
}

function isStringList(v: unknown): v is string[] {
  if (!Array.isArray(v)) return false;
  for (const x of v) if (typeof x !== 'string') return false;
  return true;
}

function isScalar(v: unknown): boolean {
  return v === null || typeof v === 'string' || typeof v === 'boolean' || Number.isFinite(v);
}

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
    const quick = trivialParse(schema, value);
    if (quick !== NOT_TRIVIAL) return quick as z.output<S>;
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
    if (val === undefined) return;
    // defineProperty only where assignment would hit the prototype setter (it is slow for every key).
    if (k === '__proto__')
      Object.defineProperty(out, k, { value: val, enumerable: true, writable: true, configurable: true });
    else out[k] = val;
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
