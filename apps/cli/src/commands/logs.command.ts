// `tsstack logs -p <stack> [service...]`: the NDJSON log streams of services, one "task | line" per record
// for one service; with several (or none named: every service of the stack) each line starts with its
// service ("web 1a2b3c4d5e6f | line"), and the streams are read side by side.
import type { Command } from 'commander';
import { makeClient, withContext } from '../client/make-client';
import { printServiceLogs } from './service-log-stream';
import { CliError } from '../client/cli-errors';
import { withStackTarget } from './stack-file';

interface LogsOptions {
  projectName: string;
  follow?: boolean;
  since?: string;
  tail?: string;
}

export function register(program: Command): void {
  withStackTarget(withContext(program.command('logs')), '--file')
    .description('show the logs of services (every service of the stack when none is named)')
    .argument('[service...]')
    .option('-f, --follow', 'keep streaming new lines')
    .option('--since <time>', 'only lines since this time (RFC 3339 or e.g. 10m)')
    .option('--tail <n>', 'only the last n lines per task')
    .action(async (named: string[], o: LogsOptions, cmd: Command) => {
      const client = makeClient(cmd);
      const services = named.length
        ? named
        : ((await client.listServices(o.projectName)) as Array<{ service: string }>).map((s) => s.service);
      if (!services.length)
        throw new CliError(
          'NO_SERVICES',
          `stack ${o.projectName} has no services: see \`tsstack stack ls\``,
          1,
        );
      if (services.length === 1) return printServiceLogs(client, o.projectName, services[0]!, o);
      await Promise.all(
        services.map((svc) => printServiceLogs(client, o.projectName, svc, o, { prefix: svc })),
      );
    });
}
