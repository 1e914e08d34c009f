// `tsstack events`: stream events from the controller until interrupted (or the server closes).
import type { Command } from 'commander';
import { cliContext, withContext } from '../client/make-client';
import { formatEvent, streamEvents } from '../client/ws-client';

export function register(program: Command): void {
  withContext(program.command('events'))
    .description('stream events')
    .option('-p, --project-name <name>', 'only this stack')
    .option('--service <name>', 'only this service')
    .option('--type <type>', 'only this event type')
    .option('--since <id>', 'replay from this event id')
    .option('--json', 'one JSON object per line')
    .action(
      async (
        o: { projectName?: string; service?: string; type?: string; since?: string; json?: boolean },
        cmd: Command,
      ) => {
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
