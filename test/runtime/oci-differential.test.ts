// Differential test: the same OCI bundle (config.json built by libs/runtime) run by tsstack-runtime and by
// Debian's runc must look the same from inside (capabilities, no_new_privs, seccomp mode, mount points,
// hostname) and get the same cgroup limits. runc is a test partner only.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildOciConfig, detectCgroupVersion, runtimeCliPath } from '@tsstack/runtime';
import { busyboxImage, requireCommand, requireRoot } from '@tsstack/testkit';

const PROBE = [
  'grep -E "^(Cap|NoNewPrivs|Seccomp)" /proc/self/status > /out/status',
  'cut -d" " -f5 /proc/self/mountinfo | sort > /out/mounts',
  'hostname > /out/hostname',
  'ulimit -n > /out/nofile',
  'touch /out/ready; sleep 2',
].join('; ');

function cgroupValue(parent: string, name: string, v1: [string, string], v2: string): string | undefined {
  const file =
    detectCgroupVersion() === 2 ? `/sys/fs/cgroup${parent}/${name}/${v2}` : `/sys/fs/cgroup/${v1[0]}${parent}/${name}/${v1[1]}`; // prettier-ignore
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : undefined;
}

async function waitFor(file: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!fs.existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`${file} never appeared`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('tsstack-runtime against runc on the same bundle', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrt-diff-'));
  const parent = `/tsstack-diff-${process.pid}`;
  beforeAll(() => {
    requireRoot();
    requireCommand('runc', 'runc');
  });
  afterAll(() => {
    spawnSync(runtimeCliPath(), ['--root', path.join(work, 'ts-root'), 'delete', '--force', 'diff-ts']);
    spawnSync('runc', ['--root', path.join(work, 'runc-root'), 'delete', '--force', 'diff-runc']);
    for (const c of fs.readdirSync('/sys/fs/cgroup')) {
      const dir = detectCgroupVersion() === 2 ? `/sys/fs/cgroup${parent}` : `/sys/fs/cgroup/${c}${parent}`;
      if (fs.existsSync(dir)) fs.rmdirSync(dir);
    }
    fs.rmSync(work, { recursive: true, force: true });
  });

  test('what the process sees and its cgroup limits are the same', async () => {
    const rootfs = (await busyboxImage()).rootfs;
    const run = async (name: string, argv: (bundle: string) => [string, string[]]) => {
      const out = path.join(work, `out-${name}`);
      const bundle = path.join(work, `bundle-${name}`);
      fs.mkdirSync(out, { recursive: true });
      fs.mkdirSync(bundle, { recursive: true });
      const config = buildOciConfig(
        {
          id: name,
          rootfs: { path: rootfs },
          readonlyRootfs: true,
          hostname: 'diffbox',
          process: { args: ['sh', '-c', PROBE] },
          mounts: [{ type: 'bind', source: out, target: '/out' }],
          resources: { memoryBytes: 48 << 20, pidsLimit: 33, nanoCpus: 0.25e9 },
          ulimits: { nofile: { soft: 777, hard: 888 } },
        },
        {
          user: { uid: 0, gid: 0, additionalGids: [0], home: '/root' },
          cgroupVersion: detectCgroupVersion(),
          cgroupsPath: `${parent}/${name}`,
          rootPath: rootfs,
          logPath: path.join(out, 'log'),
          devices: [],
        },
      );
      fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config));
      const [cmd, args] = argv(bundle);
      const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      await waitFor(path.join(out, 'ready'));
      const limits = {
        memory: cgroupValue(parent, name, ['memory', 'memory.limit_in_bytes'], 'memory.max'),
        pids: cgroupValue(parent, name, ['pids', 'pids.max'], 'pids.max'),
        cpu: cgroupValue(parent, name, ['cpu', 'cpu.cfs_quota_us'], 'cpu.max'),
      };
      expect(await exited).toBe(0);
      const seen = Object.fromEntries(['status', 'mounts', 'hostname', 'nofile'].map((f) => [f, fs.readFileSync(path.join(out, f), 'utf8')])); // prettier-ignore
      return { seen, limits };
    };
    const ours = await run('diff-ts', (bundle) => [runtimeCliPath(), ['--root', path.join(work, 'ts-root'), 'run', '--bundle', bundle, 'diff-ts']]); // prettier-ignore
    // Debian's runc (like crun) trips over this machine's empty cgroup2 mount beside v1: hide it in a private
    // mount namespace of runc's own; the host is untouched.
    const theirs = await run('diff-runc', (bundle) => [
      'unshare',
      ['-m', '--propagation', 'private', 'sh', '-c', 'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$@"', 'sh', 'runc', '--root', path.join(work, 'runc-root'), 'run', '--bundle', bundle, 'diff-runc'], // prettier-ignore
    ]);
    expect(ours.seen).toEqual(theirs.seen);
    expect(ours.seen.hostname).toBe('diffbox\n');
    expect(ours.seen.status).toMatch(/NoNewPrivs:\t1/);
    expect(ours.limits).toEqual(theirs.limits);
    expect(ours.limits.memory).toBe(String(48 << 20));
  });
});
