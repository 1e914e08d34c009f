// Pure .dockerignore matching: one pattern per line, '#' comments, '*' '?' within a path component, '**'
// across components, a leading '!' re-includes, the last matching pattern wins; a pattern matching a
// directory excludes everything under it.
import * as path from 'node:path';

interface Rule {
  pattern: string;
  re: RegExp;
  exclude: boolean;
}

function toRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      re += '.*';
      i++;
      if (pattern[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}(/.*)?$`);
}

export class DockerIgnore {
  private readonly rules: Rule[];

  constructor(text: string) {
    this.rules = text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => {
        const exclude = !l.startsWith('!');
        const p = path.posix.normalize((exclude ? l : l.slice(1)).trim()).replace(/^\/+|\/+$/g, '');
        return { pattern: p, re: toRegExp(p), exclude };
      });
  }

  /** True when the context-relative path `rel` is excluded. */
  ignores(rel: string): boolean {
    let out = false;
    for (const r of this.rules) if (r.re.test(rel)) out = r.exclude;
    return out;
  }

  /** True when some '!' rule could re-include a path under the excluded directory `rel`. */
  mayReinclude(rel: string): boolean {
    return this.rules.some(
      (r) =>
        !r.exclude &&
        (r.pattern.startsWith(`${rel}/`) || r.pattern.startsWith('**') || r.pattern.startsWith('*')),
    );
  }
}
