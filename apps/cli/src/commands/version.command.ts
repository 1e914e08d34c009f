import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('version')
    .description('print the version')
    .action(() => console.log(`tsstack ${program.version()}`));
}
