// Test helpers for libs/spec unit tests: load Compose text from memory and capture the SpecError.
import { SpecError, type SpecIssue, type StackSpec } from '@tsstack/model';
import { memoryFiles } from './file-reader';
import { loadProject, type LoadedProject, type LoadStackOptions } from './stack-loader';

export const DIR = '/proj/app';

/** Loads `files` (name -> text, relative names under DIR); the first is compose.yaml unless -f is given. */
export async function loadFrom(
  files: Record<string, string>,
  opts: LoadStackOptions = {},
): Promise<LoadedProject> {
  const abs: Record<string, string> = {};
  for (const [k, v] of Object.entries(files)) abs[k.startsWith('/') ? k : `${DIR}/${k}`] = v;
  return loadProject({ cwd: DIR, env: {}, ...opts }, memoryFiles(abs));
}

export async function stackOf(
  yaml: string,
  opts: LoadStackOptions = {},
  extra: Record<string, string> = {},
): Promise<StackSpec> {
  return (await loadFrom({ 'compose.yaml': yaml, ...extra }, opts)).stack;
}

/** The issues of a load that must fail with a SpecError. */
export async function issuesOf(
  yaml: string,
  opts: LoadStackOptions = {},
  extra: Record<string, string> = {},
): Promise<SpecIssue[]> {
  try {
    await loadFrom({ 'compose.yaml': yaml, ...extra }, opts);
  } catch (err) {
    if (err instanceof SpecError) return err.issues;
    throw err;
  }
  throw new Error('expected a SpecError');
}
