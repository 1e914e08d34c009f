// libs/spec: Compose variable interpolation, exactly as Compose reads it: $VAR, ${VAR}, ${VAR:-d}, ${VAR-d},
// ${VAR:?err}, ${VAR?err}, ${VAR:+alt}, ${VAR+alt}, nested ${...} inside defaults, and $$ for a literal $.
// A `$` not followed by `$`, a name or `{` stays literal, as in Compose. Pure: the variables are passed in.

export type Lookup = (name: string) => string | undefined;

/** A malformed template or a required variable without a value. */
export class InterpolationError extends Error {}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

/** Interpolates one string. Throws InterpolationError with a message ready for the user. */
export function interpolate(input: string, lookup: Lookup): string {
  if (!input.includes('$')) return input;
  let out = '';
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next !== undefined && NAME_START.test(next)) {
      let j = i + 1;
      while (j < input.length && NAME_CHAR.test(input[j]!)) j++;
      out += lookup(input.slice(i + 1, j)) ?? '';
      i = j;
    } else if (next === '{') {
      const end = closingBrace(input, i + 2);
      if (end < 0) throw invalid(input.slice(i));
      out += braced(input.slice(i + 2, end), input.slice(i, end + 1), lookup);
      i = end + 1;
    } else {
      out += '$';
      i++;
    }
  }
  return out;
}

/** Index of the `}` closing a `${` whose content starts at `from`, counting nested `${`; -1 if none. */
function closingBrace(s: string, from: number): number {
  let depth = 0;
  for (let i = from; i < s.length; i++) {
    if (s[i] === '$' && s[i + 1] === '$') i++;
    else if (s[i] === '$' && s[i + 1] === '{') {
      depth++;
      i++;
    } else if (s[i] === '}') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

function braced(body: string, whole: string, lookup: Lookup): string {
  let j = 0;
  if (!NAME_START.test(body[0] ?? '')) throw invalid(whole);
  while (j < body.length && NAME_CHAR.test(body[j]!)) j++;
  const name = body.slice(0, j);
  const value = lookup(name);
  if (j === body.length) return value ?? '';
  const colon = body[j] === ':';
  const op = body[colon ? j + 1 : j];
  if (op !== '-' && op !== '?' && op !== '+') throw invalid(whole);
  const arg = body.slice(colon ? j + 2 : j + 1);
  const unset = colon ? value === undefined || value === '' : value === undefined;
  switch (op) {
    case '-':
      return unset ? interpolate(arg, lookup) : value!;
    case '+':
      return unset ? '' : interpolate(arg, lookup);
    default:
      if (unset) {
        const why = interpolate(arg, lookup);
        throw new InterpolationError(
          `required variable ${name} is missing a value${why ? `: ${why}` : ''} (set it in the environment, .env or --env-file)`,
        );
      }
      return value!;
  }
}

function invalid(template: string): InterpolationError {
  return new InterpolationError(
    `invalid interpolation format "${template}": use $VAR, \${VAR}, \${VAR:-default}..., and $$ for a literal $`,
  );
}

/** The inverse of interpolation for literal text: every `$` doubled. */
export function escapeDollars(s: string): string {
  return s.replace(/\$/g, '$$$$');
}
