// `tsstack stop|start -p <stack> [service...]`. Swarm has no stop, so stop scales replicated services to 0 and
// remembers their replica counts client-side in <TSSTACK_DATA_DIR>/cli/stopped/<stack>.json; start restores
// them and forgets them. Global and job services cannot be stopped this way (said, exit 1).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import type { ServiceSummary } from '@tsstack/model';
import { CliError } from '../client/cli-errors';
import { dataDir } from '../client/context';
import { makeClient, withContext } from '../client/make-client';
import type { ApiClient } from '../client/api-client';
import { withStackTarget } from './stack-file';

export type StoppedFile = Record<string, number>;

export function stoppedPath(env: Record<string, string | undefined>, stack: string): string {
  return path.join(dataDir(env), 'cli', 'stopped', `${stack}.json`);
}

export function readStopped(file: string): StoppedFile {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as StoppedFile;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError('STOPPED_FILE', `cannot read ${file}: ${(err as Error).message}; fix or remove it`, 1);
  }
}

export function writeStopped(file: string, data: StoppedFile): void {
  if (!Object.keys(data).length) {
    fs.rmSync(file, { force: true });
    return;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(data, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

/** `up` deployed these services with the file's replicas: `start` must not restore counts from before. */
export function forgetStopped(stack: string, services: string[]): void {
  const file = stoppedPath(process.env, stack);
  const stopped = readStopped(file);
  if (!services.some((s) => stopped[s] !== undefined)) return;
  for (const s of services) delete stopped[s];
  writeStopped(file, stopped);
}

/** Pure: which services stop (replicated, replicas > 0) and the counts to remember; what is refused. */
export function planStop(
  services: ServiceSummary[],
  named: string[],
  stopped: StoppedFile,
): { stop: StoppedFile; skipped: string[]; refused: string[]; unknown: string[] } {
  const byName = new Map(services.map((s) => [s.service, s]));
  const names = named.length ? named : services.map((s) => s.service).sort();
  const out = {
    stop: {} as StoppedFile,
    skipped: [] as string[],
    refused: [] as string[],
    unknown: [] as string[],
  };
  for (const n of names) {
    const s = byName.get(n);
    if (!s) out.unknown.push(n);
    else if (s.mode !== 'replicated') out.refused.push(n);
    else if (s.replicas === 0 || stopped[n] !== undefined) out.skipped.push(n);
    else out.stop[n] = s.replicas;
  }
  return out;
}

/**
 * `tsstack stop`: scales the named (default: all) replicated services of a stack to 0, remembering their
 * replica counts for `start`, and says so line by line. Returns what it stopped and what it cannot stop
 * (global and job services, said on stderr). Safe to call twice: stopped services are skipped.
 */
export async function stopServices(
  client: ApiClient,
  stack: string,
  named: string[],
): Promise<{ stopped: string[]; refused: string[] }> {
  const services = (await client.listServices(stack)) as ServiceSummary[];
  if (!services.length) throw new CliError('NOT_FOUND', `stack ${stack} has no services`, 1);
  const file = stoppedPath(process.env, stack);
  const stopped = readStopped(file);
  const p = planStop(services, named, stopped);
  if (p.unknown.length)
    throw new CliError('NOT_FOUND', `no service ${p.unknown.join(', ')} in stack ${stack}`, 1);
  for (const [name, replicas] of Object.entries(p.stop)) {
    // Remember first: a crash between the two steps must not lose the count.
    stopped[name] = replicas;
    writeStopped(file, stopped);
    await client.scale(stack, name, 0);
    process.stdout.write(`stopped ${name} (was ${replicas} replicas)\n`);
  }
  for (const n of p.skipped) process.stdout.write(`${n} already stopped\n`);
  if (p.refused.length)
    process.stderr.write(`cannot stop ${p.refused.join(', ')}: only replicated services can be stopped\n`);
  return { stopped: [...Object.keys(p.stop), ...p.skipped], refused: p.refused };
}

export function register(program: Command): void {
  withStackTarget(withContext(program.command('stop')))
    .description('stop services (scale to 0, remembering the replica counts for `start`)')
    .argument('[services...]')
    .action(async (named: string[], o: { projectName: string }, cmd: Command) => {
      const { refused } = await stopServices(makeClient(cmd), o.projectName, named);
      if (refused.length) process.exitCode = 1;
    });

  withStackTarget(withContext(program.command('start')))
    .description('start services stopped with `tsstack stop` (restore their replica counts)')
    .argument('[services...]')
    .action(async (named: string[], o: { projectName: string }, cmd: Command) => {
      const client = makeClient(cmd);
      const file = stoppedPath(process.env, o.projectName);
      const stopped = readStopped(file);
      const names = named.length ? named : Object.keys(stopped).sort();
      if (!names.length) process.stdout.write(`nothing stopped in stack ${o.projectName}\n`);
      for (const n of names) {
        const replicas = stopped[n];
        if (replicas === undefined) {
          process.stdout.write(`${n} was not stopped by tsstack stop\n`);
          continue;
        }
        await client.scale(o.projectName, n, replicas);
        delete stopped[n];
        writeStopped(file, stopped);
        process.stdout.write(`started ${n} (${replicas} replicas)\n`);
      }
    });
}
