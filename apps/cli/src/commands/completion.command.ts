// `tsstack completion bash|zsh`: print a completion script for the whole command tree.
import type { Command } from 'commander';
import { CliError } from '../client/cli-errors';
import { bashCompletion, zshCompletion } from '../render/completion-renderer';

export function register(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script (bash or zsh)')
    .argument('<shell>', 'bash or zsh')
    .action((shell: string) => {
      if (shell === 'bash') process.stdout.write(bashCompletion(program));
      else if (shell === 'zsh') process.stdout.write(zshCompletion(program));
      else throw new CliError('USAGE', `completion ${shell}: use bash or zsh`, 2);
    });
}
