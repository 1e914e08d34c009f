// Reads one service's NDJSON log stream from the controller and prints it as "task | line" records, optionally
// prefixed (the service name, when several streams share the output) and filtered to some tasks. Shared by
// `tsstack logs` and the attached `tsstack up`.
import type { ApiClient } from '../client/api-client';

export interface LogRecord {
  task: string;
  stream: string;
  time: string;
  line: string;
}

export function formatLogRecord(r: LogRecord): string {
  return `${r.task.slice(0, 12)} | ${r.line}\n`;
}

/** The controller's log query: follow, since (RFC 3339 or e.g. 10m), tail (lines per task). */
export interface LogQuery {
  follow?: boolean;
  since?: string;
  tail?: string;
}

export interface LogOutput {
  /** Put before each line (`<prefix> <task> | <line>`) when several streams share the output. */
  prefix?: string;
  /** Print only the records this returns true for (e.g. only tasks no earlier stream covers). */
  keep?: (r: LogRecord) => boolean;
  write?: (text: string) => void;
}

/** Prints one service's stream until the controller ends it (with follow: once its tasks stopped). */
export async function printServiceLogs(
  client: ApiClient,
  stack: string,
  service: string,
  query: LogQuery,
  out: LogOutput = {},
): Promise<void> {
  const write = out.write ?? ((text: string) => process.stdout.write(text));
  const q = new URLSearchParams();
  if (query.follow) q.set('follow', '1');
  if (query.since) q.set('since', query.since);
  if (query.tail) q.set('tail', query.tail);
  const body = await client.stream(
    `/v1/services/${encodeURIComponent(stack)}/${encodeURIComponent(service)}/logs?${q.toString()}`,
  );
  let rest = '';
  for await (const chunk of body) {
    rest += Buffer.from(chunk).toString('utf8');
    let i: number;
    while ((i = rest.indexOf('\n')) >= 0) {
      const line = rest.slice(0, i).trim();
      rest = rest.slice(i + 1);
      if (!line) continue;
      const record = JSON.parse(line) as LogRecord;
      if (out.keep && !out.keep(record)) continue;
      const text = formatLogRecord(record);
      write(out.prefix ? `${out.prefix} ${text}` : text);
    }
  }
}
