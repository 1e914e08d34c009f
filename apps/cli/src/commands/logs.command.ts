// `tsstack logs -p <stack> [service...]`: the NDJSON log streams of services, one "task | line" per record
// for one service; with several (or none named: every service of the stack) each line starts with its
// service ("web 1a2b3c4d5e6f | line"), and the streams are read side by side.
import type { Command } from 'commander';
import { makeClient, withContext } from '../client/make-client';
import type { ApiClient } from '../client/api-client';
import { CliError } from '../client/cli-errors';

interface LogRecord {
  task: string;
  stream: string;
  time: string;
  line: string;
}

export function formatLogRecord(r: LogRecord): string {
  return `${r.task.slice(0, 12)} | ${r.line}\n`;
}

interface LogsOptions {
  projectName: string;
  follow?: boolean;
  since?: string;
  tail?: string;
}

/** Prints one service's stream; `prefix` (the service name) when several streams share the output. */
async function printServiceLogs(
  client: ApiClient,
  service: string,
  o: LogsOptions,
  prefix?: string,
): Promise<void> {
  const q = new URLSearchParams();
  if (o.follow) q.set('follow', '1');
  if (o.since) q.set('since', o.since);
  if (o.tail) q.set('tail', o.tail);
  const body = await client.stream(
    `/v1/services/${encodeURIComponent(o.projectName)}/${encodeURIComponent(service)}/logs?${q.toString()}`,
  );
  let rest = '';
  for await (const chunk of body) {
    rest += Buffer.from(chunk as Uint8Array).toString('utf8');
    let i: number;
    while ((i = rest.indexOf('\n')) >= 0) {
      const line = rest.slice(0, i).trim();
      rest = rest.slice(i + 1);
      if (!line) continue;
      const text = formatLogRecord(JSON.parse(line) as LogRecord);
      process.stdout.write(prefix ? `${prefix} ${text}` : text);
    }
  }
}

export function register(program: Command): void {
  withContext(program.command('logs'))
    .description('show the logs of services (every service of the stack when none is named)')
    .requiredOption('-p, --project-name <name>', 'stack name')
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
      if (services.length === 1) return printServiceLogs(client, services[0]!, o);
      await Promise.all(services.map((svc) => printServiceLogs(client, svc, o, svc)));
    });
}
