// Pure: shell completion scripts for bash and zsh, generated from the commander command tree.
import type { Command } from 'commander';

interface Node {
  path: string[];
  subcommands: string[];
  options: string[];
}

function walk(cmd: Command, path: string[] = []): Node[] {
  const subs = cmd.commands.map((c) => c.name());
  const options = cmd.options.flatMap((o) => [o.short, o.long].filter((x): x is string => Boolean(x)));
  return [{ path, subcommands: subs, options }, ...cmd.commands.flatMap((c) => walk(c, [...path, c.name()]))];
}

export function bashCompletion(program: Command): string {
  const cases = walk(program)
    .map((n) => `    "${n.path.join(' ')}") words="${[...n.subcommands, ...n.options].join(' ')}" ;;`)
    .join('\n');
  return `# bash completion for tsstack: source <(tsstack completion bash)
_tsstack() {
  local cur=\${COMP_WORDS[COMP_CWORD]} path="" w i
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    [[ $w == -* ]] && continue
    case "\${path:+$path }$w" in
${walk(program)
  .filter((n) => n.path.length > 0)
  .map((n) => `      "${n.path.join(' ')}") path="${n.path.join(' ')}" ;;`)
  .join('\n')}
    esac
  done
  local words=""
  case "$path" in
${cases}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _tsstack tsstack
`;
}

export function zshCompletion(program: Command): string {
  return `#compdef tsstack
# zsh completion for tsstack: source <(tsstack completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(program)}`;
}
