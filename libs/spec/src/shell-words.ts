// libs/spec: splits a command string into words as a POSIX shell would (quotes, backslashes), which is how
// Compose turns `command: echo "a b"` into ["echo", "a b"]. No expansion of any kind.
import type { Parsed } from './units';

export function shellSplit(s: string): Parsed<string[]> {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) return { ok: false, message: `unterminated ' quote in "${s}"` };
      cur += s.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (ch === '"') {
      let j = i + 1;
      for (; j < s.length && s[j] !== '"'; j++) {
        if (s[j] === '\\' && j + 1 < s.length && '"\\$`\n'.includes(s[j + 1]!)) j++;
        cur += s[j];
      }
      if (j >= s.length) return { ok: false, message: `unterminated " quote in "${s}"` };
      i = j;
      inWord = true;
    } else if (ch === '\\' && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return { ok: true, value: words };
}
