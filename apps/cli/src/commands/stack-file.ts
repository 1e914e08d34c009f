// Loads Compose files into a StackSpec through libs/spec (loaded at run time so the CLI still works while
// the spec lib has not landed) and reports its located issues as a usage error (exit 2).
import type { Command } from 'commander';
import type { StackSpec } from '@tsstack/model';
import { CliError } from '../client/cli-errors';

export interface StackFileOptions {
  file?: string[];
  projectName?: string;
  profile?: string[];
  envFile?: string[];
}

export async function loadStackFiles(o: StackFileOptions): Promise<StackSpec> {
  const mod = (await import('@tsstack/spec')) as Record<string, unknown>;
  if (typeof mod.loadStack !== 'function') {
    throw new CliError(
      'NOT_BUILT',
      'the stack file loader (libs/spec loadStack) is not built yet in this version',
      3,
    );
  }
  const load = mod.loadStack as (opts: Record<string, unknown>) => Promise<StackSpec> | StackSpec;
  try {
    return await load({
      files: o.file?.length ? o.file : undefined,
      projectName: o.projectName,
      profiles: o.profile ?? [],
      envFiles: o.envFile ?? [],
    });
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith('SPEC')) {
      throw new CliError('SPEC_INVALID', (err as Error).message, 2, { cause: err });
    }
    throw err;
  }
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * Options of a command that acts on one deployed stack: `-p NAME`, or the stack files (`-f FILE`, `--env-file`;
 * `--file` only where `-f` means something else, as `logs -f` follows). As in Compose, with no `-p` the name
 * comes from COMPOSE_PROJECT_NAME or the files (`name:`, else their directory), compose.yaml here by default;
 * a preAction hook puts it in `projectName`, so the action always has one.
 */
export function withStackTarget(cmd: Command, fileFlag: '-f, --file' | '--file' = '-f, --file'): Command {
  return cmd
    .option('-p, --project-name <name>', 'stack name (default: from the stack files, as `up` names it)')
    .option(`${fileFlag} <path>`, 'Compose file to take the stack name from (repeatable)', collect)
    .option('--env-file <path>', 'env file for interpolation of the stack files (repeatable)', collect)
    .hook('preAction', async (self) => {
      self.setOptionValue('projectName', await stackNameOf(self.opts<StackFileOptions>()));
    });
}

/** The stack a command means: -p, else the name `up` gives the stack files (usage error, exit 2, without files). */
export async function stackNameOf(o: StackFileOptions): Promise<string> {
  if (o.projectName) return o.projectName;
  try {
    return (await loadStackFiles(o)).name;
  } catch (err) {
    if (!(err instanceof CliError) || err.exitCode !== 2) throw err;
    if (process.env.COMPOSE_PROJECT_NAME) return process.env.COMPOSE_PROJECT_NAME;
    throw new CliError('USAGE', `which stack? pass -p NAME or the stack files: ${err.message}`, 2, {
      cause: err,
    });
  }
}
