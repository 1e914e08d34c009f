// Pure Dockerfile variable expansion: $VAR, ${VAR}, ${VAR:-default}, ${VAR:+alternative}, ${VAR-x},
// ${VAR+x}; the escape char keeps a literal $; single quotes keep their content literal.
export function substitute(s: string, vars: Record<string, string | undefined>, escape = '\\'): string {
  let out = '';
  let inSingle = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === escape && i + 1 < s.length && s[i + 1] === '$') {
      out += escape + '$';
      i++;
      continue;
    }
    if (c === "'") inSingle = !inSingle;
    if (c !== '$' || inSingle) {
      out += c;
      continue;
    }
    if (s[i + 1] === '{') {
      const end = s.indexOf('}', i + 2);
      if (end < 0) {
        out += s.slice(i);
        break;
      }
      const body = s.slice(i + 2, end);
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([\s\S]*))?$/.exec(body);
      if (!m) throw new Error(`bad substitution \${${body}}`);
      const [, name, op, word] = m;
      const v = vars[name];
      const set = op?.startsWith(':') ? v !== undefined && v !== '' : v !== undefined;
      if (!op) out += v ?? '';
      else if (op.endsWith('-')) out += set ? v : substitute(word, vars, escape);
      else out += set ? substitute(word, vars, escape) : '';
      i = end;
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i + 1));
    if (!m) {
      out += c;
      continue;
    }
    out += vars[m[0]] ?? '';
    i += m[0].length;
  }
  return out;
}
