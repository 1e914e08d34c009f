// libs/spec: Compose's scalar formats: Go durations ("1m30s") to ms, byte sizes ("512m") to bytes, CPUs to
// nano-CPUs, octal file modes. Each parser returns a value or an error message; callers locate the message.

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go `time.ParseDuration` syntax (as Compose): "1h2m3.5s", "500ms", "0". Result in milliseconds. */
export function parseDurationMs(input: unknown): Parsed<number> {
  if (typeof input !== 'string') {
    return { ok: false, message: `expected a duration string such as "30s" or "1m30s", got ${show(input)}` };
  }
  const s = input.trim();
  if (s === '0') return { ok: true, value: 0 };
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos === 0 || pos !== s.length) {
    return {
      ok: false,
      message: `invalid duration "${input}": use Go syntax with units, e.g. "1m30s", "500ms"`,
    };
  }
  return { ok: true, value: total };
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};

/** Docker's RAMInBytes: "512m", "1g", "1.5GB", "100kb", "1024" (binary units, case-insensitive). */
export function parseBytes(input: unknown): Parsed<number> {
  if (typeof input === 'number' && Number.isFinite(input) && input >= 0)
    return { ok: true, value: Math.floor(input) };
  if (typeof input !== 'string') {
    return {
      ok: false,
      message: `expected a byte size such as "512m" or a number of bytes, got ${show(input)}`,
    };
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?\s*$/i.exec(input);
  if (!m || (m[3] && m[3].toLowerCase() === 'ib' && !m[2])) {
    return {
      ok: false,
      message: `invalid byte size "${input}": use a number with an optional unit b, k, m, g, t, e.g. "512m"`,
    };
  }
  return { ok: true, value: Math.floor(Number(m[1]) * SIZE_UNITS[(m[2] ?? '').toLowerCase()]!) };
}

/** cpus: 0.5, "1.5" -> nano-CPUs. */
export function parseNanoCpus(input: unknown): Parsed<number> {
  const n = typeof input === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(input) ? Number(input) : input;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
    return { ok: false, message: `expected a number of CPUs such as 0.5 or "2", got ${show(input)}` };
  }
  return { ok: true, value: Math.round(n * 1e9) };
}

/** A file mode: a number (YAML already read 0440 as octal, as Compose does) or an octal string "0440". */
export function parseMode(input: unknown): Parsed<number> {
  if (typeof input === 'number' && Number.isInteger(input) && input >= 0 && input <= 0o7777)
    return { ok: true, value: input };
  if (typeof input === 'string' && /^0?[0-7]{1,4}$/.test(input))
    return { ok: true, value: parseInt(input, 8) };
  return { ok: false, message: `invalid file mode ${show(input)}: use octal, e.g. 0440` };
}

export function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}
