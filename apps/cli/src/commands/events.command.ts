// `tsstack events`: stream events from the controller until interrupted (or the server closes).
import type { Command } from 'commander';
import { cliContext, withContext } from '../client/make-client';
import { formatEvent, streamEvents } from '../client/ws-client';
import { CliError } from '../client/cli-errors';

/** Docker's `--filter key=value` (type, stack or project, service) folded into the plain options. */
function applyFilters<T extends { projectName?: string; service?: string; type?: string }>(
  o: T,
  filters: string[],
): T {
  const out = { ...o };
  for (const f of filters) {
    const m = /^(type|stack|project|service)=(.+)$/.exec(f);
    if (!m) throw new CliError('USAGE', `--filter ${f}: use type=, stack= or service=`, 2);
    if (m[1] === 'type') out.type = m[2];
    else if (m[1] === 'service') out.service = m[2];
    else out.projectName = m[2];
  }
  return out;
}

export function register(program: Command): void {
  withContext(program.command('events'))
    .description('stream events')
    .option('-p, --project-name <name>', 'only this stack')
    .option('--service <name>', 'only this service')
    .option('--type <type>', 'only this event type')
    .option(
      '--filter <key=value>',
      'type=, stack= or service= (repeatable)',
      (v: string, p: string[] = []) => [...p, v],
    ) // prettier-ignore
    .option('--since <id>', 'replay from this event id')
    .option('--json', 'one JSON object per line')
    .action(
      async (
        given: { projectName?: string; service?: string; type?: string; since?: string; json?: boolean; filter?: string[] }, // prettier-ignore
        cmd: Command,
      ) => {
        const o = applyFilters(given, given.filter ?? []);
        const ctx = cliContext(cmd);
        const stop = new AbortController();
        process.once('SIGINT', () => stop.abort());
        await streamEvents(
          ctx.url,
          ctx.token,
          { since: o.since, stack: o.projectName, service: o.service, type: o.type },
          (e) => process.stdout.write(o.json ? JSON.stringify(e) + '\n' : formatEvent(e)),
          stop.signal,
        );
      },
    );
}
