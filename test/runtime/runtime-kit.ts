// Shared set-up of the runtime tests: a runtime with its own state root and cgroup parent, overlay rootfs
// dirs over the busybox fixture, and a teardown that removes every container and checks nothing is left.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ContainerRuntime, type ContainerSpec, type RootfsSpec } from '@tsstack/runtime';
import { busyboxImage, requireRoot } from '@tsstack/testkit';

/** A file put into a container's upper dir: text, a symlink, or bytes with a mode (a program). */
export type UpperFile = string | { symlink: string } | { bytes: Buffer; mode: number };

export interface RuntimeKit {
  runtime: ContainerRuntime;
  root: string;
  cgroupParent: string;
  /** Fresh upper/work dirs over the busybox image; `upperFiles` are written into the upper dir first. */
  rootfs(upperFiles?: Record<string, UpperFile>): RootfsSpec;
  spec(id: string, args: string[], extra?: Partial<ContainerSpec>): ContainerSpec;
  /** Runs to completion and returns stdout+stderr lines and the exit. */
  runToEnd(
    spec: ContainerSpec,
  ): Promise<{ lines: string[]; exitCode: number; signal?: string; oomKilled: boolean }>;
  cgroupDirs(id: string): string[];
  teardown(): Promise<void>;
}

let counter = 0;

export async function createRuntimeKit(): Promise<RuntimeKit> {
  const image = await busyboxImage();
  const tag = `${process.pid}-${++counter}`;
  const root = fs.mkdtempSync('/run/tsrt-');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrt-work-'));
  // Reachable (not readable) by others: a user-namespaced container's root is an unprivileged host uid.
  fs.chmodSync(root, 0o711);
  fs.chmodSync(work, 0o711);
  const cgroupParent = `/tsstack-test-${tag}`;
  const runtime = new ContainerRuntime({ stateRoot: path.join(root, 'c'), cgroupParent });
  let n = 0;
  const kit: RuntimeKit = {
    runtime,
    root,
    cgroupParent,
    rootfs(upperFiles = {}) {
      const base = path.join(work, `r${++n}`);
      const upperDir = path.join(base, 'upper');
      const workDir = path.join(base, 'work');
      fs.mkdirSync(upperDir, { recursive: true });
      fs.mkdirSync(workDir, { recursive: true });
      for (const [rel, content] of Object.entries(upperFiles)) {
        const p = path.join(upperDir, rel);
        fs.mkdirSync(path.dirname(p), { recursive: true });
        if (typeof content === 'string') fs.writeFileSync(p, content);
        else if ('symlink' in content) fs.symlinkSync(content.symlink, p);
        else fs.writeFileSync(p, content.bytes, { mode: content.mode });
      }
      return { lowerDirs: [image.rootfs], upperDir, workDir };
    },
    spec(id, args, extra = {}) {
      return { id, rootfs: kit.rootfs(), process: { args }, ...extra };
    },
    async runToEnd(spec) {
      await runtime.run(spec);
      const exit = await runtime.wait(spec.id);
      const lines: string[] = [];
      for await (const e of runtime.logs(spec.id)) lines.push(e.line);
      return { lines, ...exit };
    },
    cgroupDirs(id) {
      const v2 = fs.existsSync('/sys/fs/cgroup/cgroup.controllers');
      if (v2) return [`/sys/fs/cgroup${cgroupParent}/${id}`];
      return ['memory', 'cpu', 'cpuacct', 'pids', 'cpuset', 'blkio', 'devices', 'freezer']
        .filter((c) => fs.existsSync(`/sys/fs/cgroup/${c}`))
        .map((c) => `/sys/fs/cgroup/${c}${cgroupParent}/${id}`);
    },
    async teardown() {
      for (const c of await runtime.list())
        await runtime.remove(c.id, { force: true }).catch(() => undefined);
      for (const dir of kit.cgroupDirs('x').map((d) => path.dirname(d)))
        if (fs.existsSync(dir)) fs.rmdirSync(dir);
      fs.rmSync(root, { recursive: true, force: true });
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
  return kit;
}

/** A kit for one describe block (root required): made before its tests, torn down after them. */
export function kitPerSuite(): () => RuntimeKit {
  let kit: RuntimeKit | undefined;
  beforeAll(async () => {
    requireRoot();
    kit = await createRuntimeKit();
  });
  afterAll(async () => kit?.teardown());
  return () => kit!;
}

/** Lines of /proc/self/mountinfo of the test process that mention `needle`. */
export function hostMountsMentioning(needle: string): string[] {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes(needle));
}

/** True while the process runs (a zombie waiting for its reaper counts as gone). */
export function processAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
