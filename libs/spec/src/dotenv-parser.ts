// libs/spec: `.env` / `--env-file` / `env_file:` files as Compose reads them: KEY=VALUE lines, `export `
// prefix, # comments, 'single' quotes literal, "double" quotes with escapes and multi-line values, unquoted
// values with a trailing ` # comment` dropped, ${VAR} interpolation (from earlier lines, then `lookup`), and a
// bare KEY taken from `lookup`. `raw` format: the value is everything after `=`, untouched.
import { interpolate, InterpolationError, type Lookup } from './interpolation';

export interface DotenvIssue {
  line: number;
  col: number;
  message: string;
}

export interface DotenvResult {
  values: Record<string, string>;
  issues: DotenvIssue[];
}

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export function parseDotenv(text: string, lookup: Lookup, format: 'env' | 'raw' = 'env'): DotenvResult {
  const values: Record<string, string> = {};
  const issues: DotenvIssue[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const scope: Lookup = (name) =>
    Object.prototype.hasOwnProperty.call(values, name) ? values[name] : lookup(name);
  for (let n = 0; n < lines.length; n++) {
    const lineNo = n + 1;
    const line = lines[n]!;
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) continue;
    const body = trimmed.replace(/^export\s+/, '');
    const eq = body.indexOf('=');
    const key = (eq < 0 ? body : body.slice(0, eq)).trim();
    if (!KEY.test(key)) {
      issues.push({
        line: lineNo,
        col: line.indexOf(key) + 1,
        message: `invalid variable name "${key}" in env file`,
      });
      continue;
    }
    if (eq < 0) {
      const v = lookup(key);
      if (v !== undefined) setValue(values, key, v);
      continue;
    }
    let rest = body.slice(eq + 1);
    if (format === 'raw') {
      setValue(values, key, rest);
      continue;
    }
    rest = rest.replace(/^\s+/, '');
    const quote = rest[0];
    try {
      if (quote === "'" || quote === '"') {
        let text2 = rest.slice(1);
        let close = findClose(text2, quote);
        while (close < 0 && n + 1 < lines.length) {
          text2 += '\n' + lines[++n];
          close = findClose(text2, quote);
        }
        if (close < 0) {
          issues.push({
            line: lineNo,
            col: line.indexOf(quote) + 1,
            message: `unterminated ${quote} quote in env file`,
          });
          continue;
        }
        const inner = text2.slice(0, close);
        setValue(values, key, quote === "'" ? inner : interpolate(unescapeDouble(inner), scope));
      } else {
        const value = rest.replace(/\s+#.*$/, '').trimEnd();
        setValue(values, key, interpolate(value, scope));
      }
    } catch (err) {
      if (!(err instanceof InterpolationError)) throw err;
      issues.push({ line: lineNo, col: 1, message: err.message });
    }
  }
  return { values, issues };
}

function setValue(values: Record<string, string>, key: string, value: string): void {
  Object.defineProperty(values, key, { value, enumerable: true, writable: true, configurable: true });
}

function findClose(s: string, quote: string): number {
  for (let i = 0; i < s.length; i++) {
    if (quote === '"' && s[i] === '\\') i++;
    else if (s[i] === quote) return i;
  }
  return -1;
}

function unescapeDouble(s: string): string {
  return s.replace(/\\(.)/g, (_m, c: string) => {
    if (c === 'n') return '\n';
    if (c === 't') return '\t';
    if (c === 'r') return '\r';
    if (c === '$') return '$$';
    return c;
  });
}
