import { Command } from 'commander';
import { bashCompletion, zshCompletion } from './completion-renderer';

describe('completion', () => {
  const program = new Command('tsstack').option('--context <url>');
  program.command('ps').option('-a, --all');
  program.command('stack').command('ls').option('--json');

  it('lists subcommands and options per command path for bash', () => {
    const s = bashCompletion(program);
    expect(s).toContain('"") words="ps stack --context" ;;');
    expect(s).toContain('"ps") words="-a --all" ;;');
    expect(s).toContain('"stack ls") words="--json" ;;');
    expect(s).toContain('complete -F _tsstack tsstack');
  });
  it('wraps the bash script for zsh via bashcompinit', () => {
    expect(zshCompletion(program)).toMatch(
      /^#compdef tsstack\n[\s\S]*bashcompinit[\s\S]*complete -F _tsstack/,
    );
  });
});
