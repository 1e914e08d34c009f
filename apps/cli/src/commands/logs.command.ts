// `tsstack logs -p <stack> <service>`: the NDJSON log stream of a service, one "task | line" per record.
import type { Command } from 'commander';
import { makeClient, withContext } from '../client/make-client';

interface LogRecord {
  task: string;
  stream: string;
  time: string;
  line: string;
}

export function formatLogRecord(r: LogRecord): string {
  return `${r.task.slice(0, 12)} | ${r.line}\n`;
}

export function register(program: Command): void {
  withContext(program.command('logs'))
    .description('show the logs of a service')
    .requiredOption('-p, --project-name <name>', 'stack name')
    .argument('<service>')
    .option('-f, --follow', 'keep streaming new lines')
    .option('--since <time>', 'only lines since this time (RFC 3339 or e.g. 10m)')
    .option('--tail <n>', 'only the last n lines per task')
    .action(
      async (
        service: string,
        o: { projectName: string; follow?: boolean; since?: string; tail?: string },
        cmd: Command,
      ) => {
        const q = new URLSearchParams();
        if (o.follow) q.set('follow', '1');
        if (o.since) q.set('since', o.since);
        if (o.tail) q.set('tail', o.tail);
        const body = await makeClient(cmd).stream(
          `/v1/services/${encodeURIComponent(o.projectName)}/${encodeURIComponent(service)}/logs?${q.toString()}`,
        );
        let rest = '';
        for await (const chunk of body) {
          rest += Buffer.from(chunk as Uint8Array).toString('utf8');
          let i: number;
          while ((i = rest.indexOf('\n')) >= 0) {
            const line = rest.slice(0, i).trim();
            rest = rest.slice(i + 1);
            if (line) process.stdout.write(formatLogRecord(JSON.parse(line) as LogRecord));
          }
        }
      },
    );
}
