// The `run` request of `tsstack run`: a one-off container of a service's spec, its command attached to the
// caller. The container goes through the same prepare/start/remove steps as a task (image, rootfs, mounts,
// network), but its main process is a holder (the host's static busybox, bind-mounted read-only, sleeping)
// and the command runs in it through the runtime's exec, which already carries stdin, a terminal and its
// resizes, and the exit code. The container is removed before the final answer, so when the caller sees
// the exit code nothing is left. It carries no task label, so the assignment reconcile never sees it.
import * as fs from 'node:fs';
import type { AssignmentSet, Task } from '@tsstack/model';
import { resolveUserInRootfs, type ContainerSpec, type ExecProcess } from '@tsstack/runtime';
import type { ContainerRuntimePort } from '../ports';
import type { TaskController } from './task-executor';
import { TASK_ID_LABEL } from './assignment-reconcile';

type Reply = (done: boolean, data?: unknown, error?: string) => void;

/** Label of a one-off container (instead of the task label): the id of its `run` request's task. */
export const RUN_ID_LABEL = 'io.tsstack.run.id';
/** Where the holder binary appears inside the one-off container; busybox runs as itself when its name starts so. */
export const HOLDER_TARGET = '/busybox.tsstack-run';
const HOLDER_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The command's process, as the container would have run it; the exec runs exactly this. */
export interface OneOffProcess {
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  /** Numeric uid:gid, resolved in the image. */
  user: string;
}

/**
 * Pure: the holder container spec and the command's process from the spec built for the one-off task.
 * The holder runs as root with no terminal; the process keeps the service's user, env and working dir.
 */
export function holdContainerSpec(
  spec: ContainerSpec,
  holderPath: string,
  user: { uid: number; gid: number; home: string },
): { spec: ContainerSpec; process: OneOffProcess } {
  const env = { ...spec.process.env };
  env.PATH ??= DEFAULT_PATH;
  env.HOME ??= user.home || '/';
  const labels: Record<string, string> = { ...spec.labels, [RUN_ID_LABEL]: spec.labels?.[TASK_ID_LABEL] ?? spec.id }; // prettier-ignore
  delete labels[TASK_ID_LABEL];
  return {
    process: { args: spec.process.args, env, cwd: spec.process.cwd, user: `${user.uid}:${user.gid}` },
    spec: {
      ...spec,
      process: { args: [HOLDER_TARGET, 'sleep', '2147483647'], env: { PATH: DEFAULT_PATH }, cwd: '/' },
      init: false,
      mounts: [
        ...(spec.mounts ?? []),
        { type: 'bind', source: holderPath, target: HOLDER_TARGET, readOnly: true },
      ],
      labels,
    },
  };
}

function findHolder(): string {
  const found = HOLDER_CANDIDATES.find((p) => fs.existsSync(p));
  if (!found)
    throw new Error(
      'tsstack run needs a static busybox on the node (/bin/busybox): install busybox-static (scripts/setup.sh does)',
    );
  return found;
}

interface OneOff {
  child?: ExecProcess;
  /** stdin and resizes that came before the command started, in order. */
  early: Array<{ stdin?: string | null; size?: { cols: number; rows: number } }>;
  cancelled: boolean;
}

/** The one-off runs of this agent, by request id; stdin, resize and cancel follow-ups name that id. */
export class OneOffRuns {
  private readonly runs = new Map<string, OneOff>();

  constructor(
    private readonly runtime: ContainerRuntimePort,
    private readonly assignments: () => AssignmentSet,
    private readonly log?: (msg: string) => void,
  ) {}

  has(requestId: string): boolean {
    return this.runs.has(requestId);
  }

  stdin(requestId: string, data: string | null): void {
    const run = this.runs.get(requestId);
    if (!run) return;
    if (!run.child) run.early.push({ stdin: data });
    else if (data === null) run.child.stdin.end();
    else run.child.stdin.write(Buffer.from(data, 'base64'));
  }

  resize(requestId: string, size: { cols: number; rows: number }): void {
    const run = this.runs.get(requestId);
    if (!run) return;
    if (!run.child) run.early.push({ size });
    else run.child.resize(size);
  }

  cancel(requestId: string): void {
    const run = this.runs.get(requestId);
    if (!run) return;
    run.cancelled = true;
    run.child?.kill('SIGKILL');
  }

  /** Answers chunks {stream, data} while the command runs, then {exitCode} once its container is gone. */
  start(requestId: string, args: Record<string, unknown>, reply: Reply): void {
    const task = args.task as Task | undefined;
    if (!task?.id?.startsWith('run-') || !task.spec)
      return reply(true, undefined, 'run needs task: a one-off task whose id starts with run-');
    if (!this.runtime.exec) return reply(true, undefined, 'run is not available from this agent');
    const run: OneOff = { early: [], cancelled: false };
    this.runs.set(requestId, run);
    this.drive(task, args, run, reply)
      .then((exitCode) => reply(true, { exitCode }))
      .catch((err: Error) => reply(true, undefined, `run ${task.stack}_${task.service}: ${err.message}`))
      .finally(() => this.runs.delete(requestId));
  }

  private async drive(task: Task, args: Record<string, unknown>, run: OneOff, reply: Reply): Promise<number> {
    const holder = findHolder();
    let proc: OneOffProcess | undefined;
    const ctl: TaskController = this.runtime.controllerFor(task, this.assignments(), undefined, {
      containerSpec: (spec) => {
        const user = resolveUserInRootfs(spec.rootfs, spec.process.user, spec.process.groupAdd);
        const held = holdContainerSpec(spec, holder, user);
        proc = held.process;
        return held.spec;
      },
    });
    try {
      await ctl.prepare();
      const { containerId } = await ctl.start();
      if (run.cancelled || !proc) return 137;
      return await this.attach(containerId, proc, args, run, reply);
    } finally {
      await ctl.terminate().catch(() => undefined);
      await ctl.remove().catch((err: Error) => this.log?.(`run ${task.id}: remove failed: ${err.message}`));
    }
  }

  private attach(
    containerId: string,
    proc: OneOffProcess,
    args: Record<string, unknown>,
    run: OneOff,
    reply: Reply,
  ): Promise<number> {
    const cols = Number(args.cols);
    const rows = Number(args.rows);
    const child = this.runtime.exec!(containerId, {
      ...proc,
      tty: args.tty === true,
      size: cols > 0 && rows > 0 ? { cols, rows } : undefined,
    });
    run.child = child;
    child.stdin.on('error', () => undefined); // a command that exits without reading its stdin
    if (args.stdin !== true) child.stdin.end();
    for (const e of run.early.splice(0)) {
      if (e.size) child.resize(e.size);
      else if (e.stdin === null) child.stdin.end();
      else if (e.stdin !== undefined) child.stdin.write(Buffer.from(e.stdin, 'base64'));
    }
    child.stdout.on('data', (d: Buffer) => reply(false, { stream: 'stdout', data: d.toString('base64') }));
    child.stderr.on('data', (d: Buffer) => reply(false, { stream: 'stderr', data: d.toString('base64') }));
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : 15)));
    });
  }
}
