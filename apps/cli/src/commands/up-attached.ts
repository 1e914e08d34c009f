// Attached `tsstack up` (what `docker compose up` does without -d): once every service reached its goal, says
// "Attaching to ...", then streams the logs of the stack's tasks from the deploy on (also of tasks started
// later, e.g. restarts), each line prefixed with its service. It ends by itself when the whole stack ended
// (exit 0, or 1 when a task failed); the first Ctrl-C / SIGTERM stops the services as `tsstack stop` does,
// waits until their tasks stopped and exits 130; a second one exits 130 at once.
import { TaskState, parseTaskState, type StackSpec, type TaskRow } from '@tsstack/model';
import type { ApiClient } from '../client/api-client';
import { printServiceLogs } from './service-log-stream';
import { stopServices } from './stop-start.command';
import { serviceEnds, stackEnd, type ServiceEndInput } from './up-stack-end';
import { followProgress } from './up-progress';

const POLL_MS = 300;
/** How long an end that depends on an unknown restart count (max_attempts) must hold: a few reconcile rounds. */
const SETTLE_MS = 3_000;
/** Log streams end once their containers stopped; this bounds the wait for their last lines. */
const DRAIN_MS = 5_000;
export const INTERRUPTED_EXIT = 130;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (text: string) => process.stdout.write(text);

function isStarted(t: TaskRow): boolean {
  return t.node !== undefined && t.state !== 'rejected' && parseTaskState(t.state) >= TaskState.Starting;
}

/** Opens one follow stream per service for each batch of tasks no earlier stream covers. */
class LogAttacher {
  private readonly attached = new Set<string>();
  private readonly streams: Array<Promise<void>> = [];

  constructor(
    private readonly client: ApiClient,
    private readonly stack: string,
    private readonly since: string,
  ) {}

  attachNew(services: string[], rows: TaskRow[]): void {
    for (const service of services) {
      const names = new Set([service, `${this.stack}_${service}`]);
      const fresh = rows.filter((t) => names.has(t.service) && isStarted(t) && !this.attached.has(t.task));
      if (!fresh.length) continue;
      // The controller streams every started task of the service; this stream prints only the new ones.
      const mine = new Set(fresh.map((t) => t.task));
      mine.forEach((id) => this.attached.add(id));
      const query = { follow: true, since: this.since };
      const out = { prefix: service, keep: (r: { task: string }) => mine.has(r.task) };
      this.streams.push(
        printServiceLogs(this.client, this.stack, service, query, out).catch((err: Error) => {
          process.stderr.write(`tsstack: logs of ${service}: ${err.message}\n`);
        }),
      );
    }
  }

  /** Resolves once every stream ended (their tasks stopped), or after `maxMs`. */
  drained(maxMs: number): Promise<unknown> {
    return Promise.race([Promise.all(this.streams), sleep(maxMs)]);
  }
}

export interface AttachedUpOptions {
  client: ApiClient;
  spec: StackSpec;
  /** When the deploy started (RFC 3339): logs are shown from then on, so no first line is lost. */
  since: string;
  timeoutMs: number;
}

/** Runs an attached `up` after the deploy; resolves with the exit code. */
export class AttachedUp {
  private readonly logs: LogAttacher;
  private readonly services: string[];
  private readonly endInputs: Record<string, ServiceEndInput>;
  /** Set by the first Ctrl-C / SIGTERM: the graceful stop, resolving with the exit code. */
  private interrupted?: Promise<number>;

  constructor(private readonly o: AttachedUpOptions) {
    this.logs = new LogAttacher(o.client, o.spec.name, o.since);
    this.services = Object.keys(o.spec.services).sort();
    this.endInputs = Object.fromEntries(
      Object.entries(o.spec.services).map(([name, s]) => [
        name,
        { replicas: s.deploy.replicas, restartPolicy: s.deploy.restartPolicy },
      ]),
    );
  }

  run(): Promise<number> {
    process.on('SIGINT', this.handleSignal);
    process.on('SIGTERM', this.handleSignal);
    return this.attach();
  }

  private async attach(): Promise<number> {
    const { client, spec, timeoutMs } = this.o;
    const atGoal = await followProgress(client, spec, timeoutMs, {
      endedServices: (rows) => this.endedServices(rows),
      cancelled: () => this.interrupted !== undefined,
    });
    if (this.interrupted) return this.interrupted;
    if (!atGoal) return 1;
    say(`Attaching to ${this.services.join(', ')}\n`);
    let endedSince: number | undefined;
    for (;;) {
      if (this.interrupted) return this.interrupted;
      const rows = await client.listTasks({ stack: spec.name, all: true });
      this.logs.attachNew(this.services, rows);
      const end = stackEnd(this.endInputs, spec.name, rows);
      endedSince = end.ended ? (endedSince ?? Date.now()) : undefined;
      if (end.ended && (end.settled || Date.now() - endedSince! >= SETTLE_MS) && !this.interrupted) {
        await this.logs.drained(DRAIN_MS);
        return this.interrupted ?? end.exitCode;
      }
      await sleep(POLL_MS);
    }
  }

  private endedServices(rows: TaskRow[]): Set<string> {
    const ends = serviceEnds(this.endInputs, this.o.spec.name, rows);
    return new Set(Object.keys(ends).filter((s) => ends[s] === 'ended'));
  }

  private readonly handleSignal = (): void => {
    if (this.interrupted) process.exit(INTERRUPTED_EXIT);
    say('Gracefully stopping... (press Ctrl+C again to force)\n');
    this.interrupted = this.stopGracefully().then(
      () => INTERRUPTED_EXIT,
      (err: Error) => {
        process.stderr.write(`tsstack: stopping ${this.o.spec.name}: ${err.message}\n`);
        return INTERRUPTED_EXIT;
      },
    );
  };

  /** `tsstack stop` for the stack, then waits until no task of the stopped services still runs. */
  private async stopGracefully(): Promise<void> {
    const { client, spec } = this.o;
    const { stopped } = await stopServices(client, spec.name, []);
    const names = new Set(stopped.flatMap((s) => [s, `${spec.name}_${s}`]));
    for (;;) {
      const rows = await client.listTasks({ stack: spec.name, all: true });
      const live = rows.filter(
        (t) => names.has(t.service) && t.node !== undefined && parseTaskState(t.state) < TaskState.Complete,
      );
      if (!live.length) break;
      await sleep(POLL_MS);
    }
    await this.logs.drained(DRAIN_MS);
  }
}
