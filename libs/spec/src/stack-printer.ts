// libs/spec: prints a normalized StackSpec for `tsstack config`: YAML (block style, keys in model order) or
// JSON, plus the lists behind --services and --profiles. Secret contents are never printed: each shows its
// size instead. YAML is written with YAML 1.1 quoting, so `yes`, `no`, `0755` or `80:80` read back as strings
// by any reader.
import type { StackSpec } from '@tsstack/model';
import { stringify } from 'yaml';

export function stackToYaml(stack: StackSpec): string {
  return stringify(redactSecrets(stack), { lineWidth: 0, aliasDuplicateObjects: false, version: '1.1' });
}

export function stackToJson(stack: StackSpec): string {
  return JSON.stringify(redactSecrets(stack), null, 2) + '\n';
}

/** A copy whose secrets carry `<redacted: N bytes>` instead of their content. */
export function redactSecrets(stack: StackSpec): StackSpec {
  const secrets: StackSpec['secrets'] = {};
  for (const [k, s] of Object.entries(stack.secrets)) {
    secrets[k] =
      s.content === undefined
        ? s
        : { ...s, content: `<redacted: ${Buffer.from(s.content, 'base64').length} bytes>` };
  }
  return { ...stack, secrets };
}

/** Service names in dependency order (dependencies first), then by name. */
export function listServices(stack: StackSpec): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name) || !stack.services[name]) return;
    seen.add(name);
    for (const dep of Object.keys(stack.services[name]!.dependsOn).sort()) visit(dep);
    out.push(name);
  };
  for (const name of Object.keys(stack.services).sort()) visit(name);
  return out;
}
