// The container runtime: create, start, wait, kill, stop, remove, exec, logs and stats of containers made by
// the native core, each supervised by its own tsstack-shim. All state is in files under the state root
// (one dir per container), so a new process (an agent after a restart or upgrade) adopts every container
// its predecessor started just by opening the same root.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Writable } from 'node:stream';
import { detectCgroupVersion, readCgroupStats, type CgroupRecord } from './cgroup-stats';
import { askShim } from './control-client';
import {
  ContainerNotFoundError,
  ContainerStateError,
  InvalidContainerSpecError,
  RuntimeError,
} from './errors';
import { readLog } from './log-reader';
import { coreBinding, runtimeCliPath } from './native';
import { buildOciConfig, checkContainerSpec, type HostDevice } from './oci-config';
import { ALL_CAPABILITIES } from './security-defaults';
import type {
  ContainerInfo,
  ContainerSpec,
  ContainerStats,
  ExecOptions,
  ExitStatus,
  LogEntry,
  LogOptions,
  ProcessRow,
  TerminalSize,
} from './types';
import { resolveUserInRootfs } from './user-lookup';

/** An exec'd process; `resize` changes its terminal's size (exec with tty only). */
export type ExecProcess = ChildProcessWithoutNullStreams & { resize(size: TerminalSize): void };

/** A terminal dimension as the kernel's winsize holds it (0..65535). */
function terminalDim(n: number): number {
  return Math.max(0, Math.min(65535, Math.floor(Number(n) || 0)));
}

/**
 * Where the native core keeps compiled seccomp filters of the runtime whose state root is `stateRoot` (beside
 * it: the state root holds containers only). Whoever removes a state root for good removes this too.
 */
export function seccompCacheDir(stateRoot: string): string {
  return `${path.resolve(stateRoot)}.seccomp-cache`;
}

export interface RuntimeOptions {
  /** Default /run/tsstack/runtime. */
  stateRoot?: string;
  /** Absolute cgroup under which containers get theirs; default /tsstack. */
  cgroupParent?: string;
}

interface Meta {
  id: string;
  labels: Record<string, string>;
  createdAt: number;
  logPath: string;
  logMaxFile: number;
}

interface ShimState {
  status: 'created' | 'running' | 'stopped';
  pid: number;
  pidStartTime: number;
  shimPid: number;
  shimStartTime: number;
  createdAt: number;
  startedAt: number;
  cgroup: CgroupRecord | null;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

const MAX_SOCKET_PATH = 107;

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** The start time of a live process (a zombie counts as gone), for telling it from a reused pid. */
function processStartTime(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? undefined : Number(fields[19]);
  } catch {
    return undefined;
  }
}

async function waitGone(pid: number, startTime: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (processStartTime(pid) === startTime && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 5));
}

function signalNumber(signal: string | number): number {
  if (typeof signal === 'number') return signal;
  const name = signal.startsWith('SIG') ? signal : `SIG${signal}`;
  const n = (os.constants.signals as Record<string, number>)[name];
  if (!n) throw new InvalidContainerSpecError('signal', `unknown signal ${signal}`);
  return n;
}

function hostDevice(d: { source: string; target: string; permissions: string }, i: number): HostDevice {
  let st: fs.Stats;
  try {
    st = fs.statSync(d.source);
  } catch {
    throw new InvalidContainerSpecError(`devices[${i}]`, `host device ${d.source} does not exist`);
  }
  if (!st.isCharacterDevice() && !st.isBlockDevice())
    throw new InvalidContainerSpecError(`devices[${i}]`, `${d.source} is not a device node`);
  const rdev = st.rdev;
  return {
    target: d.target,
    type: st.isBlockDevice() ? 'b' : 'c',
    major: (rdev >> 8) & 0xfff,
    minor: (rdev & 0xff) | ((rdev >> 12) & 0xfff00),
    fileMode: st.mode & 0o7777,
    permissions: d.permissions || 'rwm',
  };
}

/** The capabilities in this process's bounding set: what a privileged container can be given here. */
function boundingCapabilities(): string[] {
  const m = /^CapBnd:\s+([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  const mask = BigInt(`0x${m?.[1] ?? '0'}`);
  return ALL_CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

function checkHostPaths(spec: ContainerSpec): void {
  const dirs =
    'path' in spec.rootfs
      ? [spec.rootfs.path]
      : [...spec.rootfs.lowerDirs, spec.rootfs.upperDir, spec.rootfs.workDir];
  for (const dir of dirs)
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
      throw new InvalidContainerSpecError('rootfs', `${dir} is not a directory`);
  for (const [i, m] of (spec.mounts ?? []).entries())
    if (m.type === 'bind' && !fs.existsSync(m.source))
      throw new InvalidContainerSpecError(`mounts[${i}].source`, `${m.source} does not exist on the host`);
}

export class ContainerRuntime {
  readonly stateRoot: string;
  readonly cgroupParent: string;

  constructor(o: RuntimeOptions = {}) {
    this.stateRoot = o.stateRoot ?? '/run/tsstack/runtime';
    this.cgroupParent = o.cgroupParent ?? '/tsstack';
    if (!this.cgroupParent.startsWith('/'))
      throw new InvalidContainerSpecError('cgroupParent', 'must be absolute');
  }

  private dir(id: string): string {
    return path.join(this.stateRoot, id);
  }

  /** Creates the container: its process is set up and waits for start(). Nothing is left behind on failure. */
  async create(spec: ContainerSpec): Promise<ContainerInfo> {
    checkContainerSpec(spec);
    const dir = this.dir(spec.id);
    if (path.join(dir, 'control.sock').length > MAX_SOCKET_PATH)
      throw new InvalidContainerSpecError('stateRoot', `${dir} is too long for the shim's unix socket`);
    if (fs.existsSync(dir)) throw new ContainerStateError(spec.id, 'already exists');
    checkHostPaths(spec);
    const user = resolveUserInRootfs(spec.rootfs, spec.process.user, spec.process.groupAdd);
    const devices = (spec.devices ?? []).map(hostDevice);
    const rootPath = 'path' in spec.rootfs ? spec.rootfs.path : path.join(dir, 'rootfs');
    const logPath = path.join(dir, 'container.log');
    const config = buildOciConfig(spec, {
      user,
      devices,
      rootPath,
      logPath,
      cgroupVersion: detectCgroupVersion(),
      cgroupsPath: `${this.cgroupParent}/${spec.id}`,
      availableCapabilities: spec.privileged ? boundingCapabilities() : undefined,
    });
    // Asynchronous file work: an agent creates a batch of containers at once, and sync calls contending for
    // the state root's directory lock would stall its event loop.
    await fs.promises.mkdir(this.stateRoot, { recursive: true, mode: 0o700 });
    await fs.promises.mkdir(dir, { mode: 0o700 });
    try {
      if ('lowerDirs' in spec.rootfs) await fs.promises.mkdir(rootPath);
      if (spec.userns) this.shareWithMappedRoot(spec, dir, rootPath);
      const meta: Meta = {
        id: spec.id,
        labels: spec.labels ?? {},
        createdAt: Date.now(),
        logPath,
        logMaxFile: spec.log?.maxFile ?? 3,
      };
      await Promise.all([
        fs.promises.writeFile(path.join(dir, 'meta.json'), JSON.stringify(meta)),
        fs.promises.writeFile(path.join(dir, 'config.json'), JSON.stringify(config)),
      ]);
      await coreBinding().spawnShim(runtimeCliPath(), dir, path.join(dir, 'config.json'));
    } catch (err) {
      await fs.promises.rm(dir, { recursive: true, force: true });
      throw this.nativeError(spec.id, 'create', err);
    }
    return this.inspect(spec.id);
  }

  /** Releases the created container's program; rejects when the program cannot be executed. */
  async start(id: string): Promise<ContainerInfo> {
    const reply = await askShim(this.socket(id), 'start');
    if (!reply) throw new ContainerStateError(id, 'is not waiting to start (its shim is gone)');
    if (!reply.ok)
      throw new RuntimeError(`container ${id}: ${reply.message ?? 'start failed'}`, {
        code: reply.code ?? 'EINVAL',
        errno: reply.errno ?? 0,
        syscall: reply.step ?? 'start',
      });
    return this.inspect(id);
  }

  async run(spec: ContainerSpec): Promise<ContainerInfo> {
    await this.create(spec);
    try {
      return await this.start(spec.id);
    } catch (err) {
      await this.remove(spec.id, { force: true });
      throw err;
    }
  }

  /** Resolves with the exit status once the container's first process has exited (at once if it has). */
  async wait(id: string, signal?: AbortSignal): Promise<ExitStatus> {
    const exitFile = path.join(this.dir(id), 'exit.json');
    for (;;) {
      const recorded = readJson<ExitStatus & { signal: string | null }>(exitFile);
      if (recorded) return { ...recorded, signal: recorded.signal ?? undefined };
      if (!fs.existsSync(this.dir(id))) throw new ContainerNotFoundError(id);
      const reply = await askShim(this.socket(id), 'wait', signal);
      if (reply && typeof reply.exitCode === 'number') {
        return {
          exitCode: reply.exitCode,
          signal: (reply.signal as string | null) ?? undefined,
          oomKilled: reply.oomKilled === true,
          finishedAt: reply.finishedAt as number,
        };
      }
      const info = await this.inspect(id);
      if (info.status === 'unknown')
        throw new ContainerStateError(id, 'its shim died without recording an exit');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async kill(id: string, signal: string | number = 'SIGKILL'): Promise<void> {
    const info = await this.inspect(id);
    if (info.status !== 'created' && info.status !== 'running') return;
    const reply = await askShim(this.socket(id), `kill ${signalNumber(signal)}`);
    if (reply && !reply.ok && reply.code !== 'ESRCH')
      throw new RuntimeError(`container ${id}: ${reply.message}`, {
        code: reply.code ?? 'EINVAL',
        errno: 0,
        syscall: 'kill',
      });
  }

  /** Sends `signal`, waits up to `timeoutMs`, then SIGKILL. Resolves with the exit status. */
  async stop(id: string, o: { signal?: string | number; timeoutMs?: number } = {}): Promise<ExitStatus> {
    await this.kill(id, o.signal ?? 'SIGTERM');
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), o.timeoutMs ?? 10_000);
    try {
      return await this.wait(id, abort.signal);
    } catch (err) {
      if (!abort.signal.aborted) throw err;
      await this.kill(id, 'SIGKILL');
      return this.wait(id);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Removes a stopped container (or, with force, kills it first): state, log, cgroup. Idempotent. */
  async remove(id: string, o: { force?: boolean } = {}): Promise<void> {
    const dir = this.dir(id);
    if (!fs.existsSync(dir)) return;
    const info = await this.inspect(id);
    if (info.status === 'created' || info.status === 'running') {
      if (!o.force)
        throw new ContainerStateError(id, `is ${info.status}; stop it first or remove with force`);
      await this.kill(id, 'SIGKILL');
      await this.wait(id);
    }
    const state = readJson<ShimState>(path.join(dir, 'state.json'));
    // The shim writes exit.json, then closes up and exits: give it that moment so nothing of it outlives remove.
    if (state) await waitGone(state.shimPid, state.shimStartTime, 2000);
    // Already removed by the shim at exit, usually.
    await Promise.all(
      Object.values(state?.cgroup?.dirs ?? {}).map((d) => fs.promises.rmdir(d).catch(() => undefined)),
    );
    await fs.promises.rm(dir, { recursive: true, force: true });
  }

  async inspect(id: string): Promise<ContainerInfo> {
    const dir = this.dir(id);
    const meta = readJson<Meta>(path.join(dir, 'meta.json'));
    if (!meta) throw new ContainerNotFoundError(id);
    const state = readJson<ShimState>(path.join(dir, 'state.json'));
    const exit = readJson<ExitStatus & { signal: string | null }>(path.join(dir, 'exit.json'));
    let status: ContainerInfo['status'] = exit ? 'stopped' : (state?.status ?? 'unknown');
    if (!exit && state && processStartTime(state.shimPid) !== state.shimStartTime) status = 'unknown';
    return {
      id,
      status,
      pid: state?.pid ?? 0,
      shimPid: state?.shimPid ?? 0,
      createdAt: meta.createdAt,
      startedAt: state?.startedAt || undefined,
      labels: meta.labels,
      exit: exit ? { ...exit, signal: exit.signal ?? undefined } : undefined,
    };
  }

  /** Every container under the state root, whoever created it. */
  async list(): Promise<ContainerInfo[]> {
    if (!fs.existsSync(this.stateRoot)) return [];
    const out: ContainerInfo[] = [];
    for (const id of fs.readdirSync(this.stateRoot)) {
      try {
        out.push(await this.inspect(id));
      } catch {
        // a dir being created or removed right now
      }
    }
    return out;
  }

  logs(id: string, o: LogOptions = {}): AsyncGenerator<LogEntry> {
    const meta = readJson<Meta>(path.join(this.dir(id), 'meta.json'));
    if (!meta) throw new ContainerNotFoundError(id);
    const exitFile = path.join(this.dir(id), 'exit.json');
    return readLog(
      meta.logPath,
      meta.logMaxFile,
      o,
      () => fs.existsSync(exitFile) || !fs.existsSync(this.dir(id)),
    );
  }

  async stats(id: string): Promise<ContainerStats> {
    const state = readJson<ShimState>(path.join(this.dir(id), 'state.json'));
    if (!state) throw new ContainerNotFoundError(id);
    if (state.status !== 'running' || !state.cgroup) throw new ContainerStateError(id, 'is not running');
    return readCgroupStats(state.cgroup);
  }

  /** The container's processes, read from its cgroup (host pids), as `docker top` lists them. */
  async processes(id: string): Promise<ProcessRow[]> {
    const state = readJson<ShimState>(path.join(this.dir(id), 'state.json'));
    if (!state) throw new ContainerNotFoundError(id);
    if (state.status !== 'running' || !state.cgroup) throw new ContainerStateError(id, 'is not running');
    const dir = state.cgroup.dirs.unified ?? state.cgroup.dirs.pids ?? state.cgroup.dirs.memory;
    const pids = fs
      .readFileSync(path.join(dir, 'cgroup.procs'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(Number);
    const rows: ProcessRow[] = [];
    for (const pid of pids) {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const uid = Number(/^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? -1);
        const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
        rows.push({ pid, ppid: Number(fields[1]), uid, state: fields[0], command: cmd });
      } catch {
        // exited while we read
      }
    }
    return rows;
  }

  /**
   * Starts a process inside the running container; its stdio are the child's pipes. With a tty, `resize`
   * changes the terminal's size (the process gets SIGWINCH); without one it does nothing.
   */
  exec(id: string, o: ExecOptions): ExecProcess {
    const args = ['exec', this.dir(id)];
    if (o.tty) args.push('-t', '-r', '3');
    if (o.tty && o.size) args.push('-s', `${terminalDim(o.size.rows)}x${terminalDim(o.size.cols)}`);
    for (const [k, v] of Object.entries(o.env ?? {})) args.push('-e', `${k}=${v}`);
    if (o.cwd) args.push('-w', o.cwd);
    if (o.user) args.push('-u', o.user);
    args.push('--', ...o.args);
    const child = spawn(runtimeCliPath(), args, { stdio: o.tty ? ['pipe', 'pipe', 'pipe', 'pipe'] : 'pipe' });
    const channel = o.tty ? (child.stdio[3] as Writable) : undefined;
    channel?.on('error', () => undefined); // the helper is gone: nothing left to resize
    return Object.assign(child as ChildProcessWithoutNullStreams, {
      resize(size: TerminalSize) {
        if (channel?.writable) channel.write(`${terminalDim(size.rows)} ${terminalDim(size.cols)}\n`);
      },
    });
  }

  /** exec, collecting output; killed after `timeoutMs` (exit code 137, timedOut). */
  execCollect(id: string, o: ExecOptions & { timeoutMs?: number; input?: string }): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      const child = this.exec(id, o);
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      const timer = o.timeoutMs
        ? setTimeout(() => ((timedOut = true), child.kill('SIGKILL')), o.timeoutMs)
        : undefined;
      child.stdout.on('data', (d) => (stdout += d.toString()));
      child.stderr.on('data', (d) => (stderr += d.toString()));
      child.on('error', reject);
      // A program that exits without reading its stdin closes the pipe under us: that is not an error.
      child.stdin.on('error', () => undefined);
      child.on('close', (code, sig) => {
        if (timer) clearTimeout(timer);
        resolve({ exitCode: code ?? 128 + (sig ? signalNumber(sig) : 9), stdout, stderr, timedOut });
      });
      child.stdin.end(o.input ?? '');
    });
  }

  /**
   * With a user namespace the container's root is an unprivileged host uid: it must reach its rootfs mount
   * point and own its overlay upper and work dirs (as Docker's userns-remap chowns them).
   */
  private shareWithMappedRoot(spec: ContainerSpec, dir: string, rootPath: string): void {
    const hostOf = (maps: { containerId: number; hostId: number; size: number }[]) =>
      maps.find((m) => m.containerId === 0)?.hostId ?? 0;
    const uid = hostOf(spec.userns!.uidMappings);
    const gid = hostOf(spec.userns!.gidMappings);
    for (const d of [this.stateRoot, dir]) fs.chmodSync(d, 0o711);
    const own = 'lowerDirs' in spec.rootfs ? [rootPath, spec.rootfs.upperDir, spec.rootfs.workDir] : [];
    for (const d of own) fs.chownSync(d, uid, gid);
  }

  private socket(id: string): string {
    return path.join(this.dir(id), 'control.sock');
  }

  private nativeError(id: string, step: string, err: unknown): Error {
    const e = err as NodeJS.ErrnoException & { specError?: boolean };
    if (!(err instanceof Error) || e.errno === undefined) return err as Error;
    if (e.specError) return new InvalidContainerSpecError(e.syscall ?? step, e.message);
    return new RuntimeError(`container ${id}: ${e.message}`, {
      code: e.code ?? 'EIO',
      errno: typeof e.errno === 'number' ? e.errno : 0,
      syscall: e.syscall ?? step,
      cause: err,
    });
  }
}
