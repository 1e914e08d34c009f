// Configs and secrets as files for a task. Secrets are written ONLY to a tmpfs mounted at <stateDir>/secrets
// (never persistent disk); configs go to <stateDir>/configs/<taskId>/. Both get the mode the spec asks for.
import { promises as fs } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as path from 'node:path';
import { TsstackError } from '@tsstack/model';

const run = promisify(execFile);

export class SecretStorageError extends TsstackError {
  constructor(dir: string, cause: unknown) {
    super('AGENT_SECRET_TMPFS', `cannot mount a tmpfs for secrets at ${dir}; run the agent as root`, {
      cause,
    });
  }
}

async function isTmpfs(dir: string): Promise<boolean> {
  const mounts = await fs.readFile('/proc/self/mounts', 'utf8');
  return mounts.split('\n').some((l) => {
    const [, mnt, type] = l.split(' ');
    return mnt === dir && type === 'tmpfs';
  });
}

/** Mount (once) the secrets tmpfs; idempotent across agent restarts. */
export async function ensureSecretsTmpfs(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  if (await isTmpfs(dir)) return;
  try {
    await run('mount', [
      '-t',
      'tmpfs',
      '-o',
      'mode=0700,size=16m,nosuid,nodev,noexec',
      'tsstack-secrets',
      dir,
    ]);
  } catch (err) {
    throw new SecretStorageError(dir, err);
  }
}

export async function unmountSecretsTmpfs(dir: string): Promise<void> {
  if (await isTmpfs(dir).catch(() => false)) await run('umount', [dir]);
}

function safeName(name: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || name === '.' || name === '..') {
    throw new TsstackError('AGENT_BAD_NAME', `invalid secret/config name ${JSON.stringify(name)}`);
  }
  return name;
}

/** Write a secret for a task into the tmpfs; returns the host path to bind into the container. */
export async function writeSecret(
  tmpfsDir: string,
  taskId: string,
  name: string,
  content: Buffer | string,
  mode = 0o444,
): Promise<string> {
  if (!(await isTmpfs(tmpfsDir))) throw new SecretStorageError(tmpfsDir, new Error('not a tmpfs'));
  const dir = path.join(tmpfsDir, safeName(taskId));
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, safeName(name));
  await fs.writeFile(file, content, { mode });
  await fs.chmod(file, mode);
  return file;
}

export async function writeConfig(
  configsDir: string,
  taskId: string,
  name: string,
  content: Buffer | string,
  mode = 0o444,
): Promise<string> {
  const dir = path.join(configsDir, safeName(taskId));
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, safeName(name));
  await fs.writeFile(file, content, { mode });
  await fs.chmod(file, mode);
  return file;
}

/** Remove a task's secret and config files. */
export async function removeTaskFiles(tmpfsDir: string, configsDir: string, taskId: string): Promise<void> {
  await fs.rm(path.join(tmpfsDir, safeName(taskId)), { recursive: true, force: true });
  await fs.rm(path.join(configsDir, safeName(taskId)), { recursive: true, force: true });
}
