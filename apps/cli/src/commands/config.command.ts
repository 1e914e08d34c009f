// `tsstack config`: loads the Compose files exactly as `up` would and prints the normalized stack model, like
// `docker compose config`. Invalid files print every located issue and exit 2; nothing talks to a controller.
import type { Command } from 'commander';
import { CliError } from '../client/cli-errors';
import { collect, type StackFileOptions } from './stack-file';

interface ConfigOptions extends StackFileOptions {
  format: string;
  services?: boolean;
  profiles?: boolean;
  quiet?: boolean;
}

export async function runConfig(o: ConfigOptions, cwd = process.cwd()): Promise<string> {
  if (o.format !== 'yaml' && o.format !== 'json') {
    throw new CliError('USAGE', `--format ${o.format}: use yaml or json`, 2);
  }
  // The spec library is loaded when a command needs it, not with every command.
  const { listServices, loadProject, stackToJson, stackToYaml } = await import('@tsstack/spec');
  let project;
  try {
    project = await loadProject({
      files: o.file?.length ? o.file : undefined,
      projectName: o.projectName,
      profiles: o.profile ?? [],
      envFiles: o.envFile ?? [],
      cwd,
    });
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith('SPEC')) {
      throw new CliError('SPEC_INVALID', (err as Error).message, 2, { cause: err });
    }
    throw err;
  }
  if (o.quiet) return '';
  if (o.services)
    return listServices(project.stack)
      .map((s) => s + '\n')
      .join('');
  if (o.profiles) return project.profiles.map((p) => p + '\n').join('');
  return o.format === 'json' ? stackToJson(project.stack) : stackToYaml(project.stack);
}

export function register(program: Command): void {
  program
    .command('config')
    .description('print the normalized stack model (validates the Compose files)')
    .option('-f, --file <path>', 'Compose file (repeatable)', collect)
    .option('-p, --project-name <name>', 'stack name')
    .option('--profile <name>', 'enable a profile (repeatable)', collect)
    .option('--env-file <path>', 'env file for interpolation (repeatable)', collect)
    .option('--format <format>', 'yaml or json', 'yaml')
    .option('--services', 'print the service names, dependencies first')
    .option('--profiles', 'print the profile names the files use')
    .option('-q, --quiet', 'only validate; print nothing')
    .action(async (o: ConfigOptions) => {
      process.stdout.write(await runConfig(o));
    });
}
