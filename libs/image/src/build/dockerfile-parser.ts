// Pure Dockerfile parsing: parser directives (escape), comments, line continuations, instruction flags
// (--from=x) and the JSON ("exec") form. Returns instructions with their line numbers; no variable
// expansion here (that depends on build state, see substitute.ts).
import { BuildError } from './build-error';

export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY, ... */
  cmd: string;
  /** Leading --name=value flags (a bare --name gets 'true'). */
  flags: Record<string, string>;
  /** The rest of the line after the flags, continuation lines joined. */
  rest: string;
  /** The rest parsed as a JSON string array when it is one (exec form), else undefined. */
  json?: string[];
  line: number;
  /** The instruction as written (joined), for history and cache keys. */
  original: string;
}

export interface Dockerfile {
  escape: string;
  instructions: Instruction[];
}

const KNOWN = new Set([
  'FROM', 'RUN', 'CMD', 'LABEL', 'MAINTAINER', 'EXPOSE', 'ENV', 'ADD', 'COPY', 'ENTRYPOINT', 'VOLUME',
  'USER', 'WORKDIR', 'ARG', 'ONBUILD', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL',
]); // prettier-ignore

function parseJsonArray(s: string): string[] | undefined {
  if (!s.startsWith('[')) return undefined;
  try {
    const v = JSON.parse(s) as unknown;
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
  } catch {
    return undefined;
  }
}

function splitFlags(s: string): { flags: Record<string, string>; rest: string } {
  const flags: Record<string, string> = {};
  let rest = s;
  for (;;) {
    const m = /^--([A-Za-z][\w-]*)(?:=(\S*))?\s*/.exec(rest);
    if (!m) break;
    flags[m[1]] = m[2] ?? 'true';
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

/** Parses Dockerfile text; `file` is only used in error messages. Throws BuildError with file:line. */
export function parseDockerfile(text: string, file = 'Dockerfile'): Dockerfile {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  let escape = '\\';
  let i = 0;
  // Parser directives: only at the very top, "# key=value".
  for (; i < lines.length; i++) {
    const m = /^#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*$/.exec(lines[i]);
    if (!m) break;
    if (m[1].toLowerCase() === 'escape') {
      if (m[2] !== '\\' && m[2] !== '`')
        throw new BuildError(`invalid escape directive "${m[2]}"`, file, i + 1);
      escape = m[2];
    }
  }
  const instructions: Instruction[] = [];
  while (i < lines.length) {
    const start = i;
    const first = lines[i++];
    if (/^\s*(#.*)?$/.test(first)) continue;
    let joined = first.trimEnd();
    while (joined.endsWith(escape) && i <= lines.length) {
      joined = joined.slice(0, -1);
      // Comment and empty lines inside a continuation are skipped, as docker does.
      while (i < lines.length && /^\s*(#.*)?$/.test(lines[i])) i++;
      if (i >= lines.length) break;
      joined += lines[i++].trimEnd();
    }
    const m = /^\s*([A-Za-z]+)(?:\s+([\s\S]*))?$/.exec(joined);
    if (!m) throw new BuildError(`cannot parse "${joined.trim()}"`, file, start + 1);
    const cmd = m[1].toUpperCase();
    if (!KNOWN.has(cmd)) throw new BuildError(`unknown instruction ${m[1]}`, file, start + 1);
    if (/<<[-~]?["']?[A-Za-z_]/.test(m[2] ?? '') && (cmd === 'RUN' || cmd === 'COPY'))
      throw new BuildError(`heredocs (<<EOF) are not supported in ${cmd}`, file, start + 1);
    const { flags, rest } = splitFlags((m[2] ?? '').trim());
    instructions.push({
      cmd,
      flags,
      rest,
      json: parseJsonArray(rest),
      line: start + 1,
      original: joined.trim(),
    });
  }
  if (!instructions.some((x) => x.cmd === 'FROM')) throw new BuildError('no FROM instruction', file, 1);
  const firstReal = instructions.find((x) => x.cmd !== 'ARG');
  if (firstReal && firstReal.cmd !== 'FROM')
    throw new BuildError(
      `${firstReal.cmd} before the first FROM (only ARG may come first)`,
      file,
      firstReal.line,
    );
  return { escape, instructions };
}

/** Splits "k=v k2='v 2'" (or the legacy "k v w") into pairs; quotes and escapes removed. */
export function parseKeyValues(rest: string, escape: string, legacy: boolean): Array<[string, string]> {
  const words = splitWords(rest, escape);
  if (legacy && words.length > 0 && !words[0].includes('=')) {
    const m = /^(\S+)\s+([\s\S]*)$/.exec(rest.trim());
    return m ? [[m[1], unquote(m[2].trim(), escape)]] : [[words[0], '']];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new Error(`expected key=value, got "${w}"`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

function unquote(s: string, escape: string): string {
  return splitWords(s, escape, true).join('');
}

/** Splits on unquoted whitespace; removes quotes and the escape char (keeps text when `keepSpaces`). */
export function splitWords(s: string, escape: string, keepSpaces = false): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  let any = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === escape && quote !== "'" && i + 1 < s.length) {
      cur += s[++i];
      any = true;
    } else if (quote) {
      if (c === quote) quote = null;
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      any = true;
    } else if (/\s/.test(c) && !keepSpaces) {
      if (any || cur) out.push(cur);
      cur = '';
      any = false;
    } else {
      cur += c;
      any = true;
    }
  }
  if (any || cur) out.push(cur);
  return out;
}
