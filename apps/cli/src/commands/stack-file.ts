// Loads Compose files into a StackSpec through libs/spec (loaded at run time so the CLI still works while
// the spec lib has not landed) and reports its located issues as a usage error (exit 2).
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
