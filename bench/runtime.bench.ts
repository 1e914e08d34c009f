// bench:runtime — container start latency of tsstack's native core against crun (Debian's, a peer for the
// comparison only) on the same busybox rootfs and the same work: /bin/true on an overlay rootfs, all
// namespaces, a cgroup. Measured:
//   tsstack_start_ms      create+start+wait through libs/runtime from a warm process (as the agent does it)
//   tsstack_cli_start_ms  the same as a whole process: `tsstack-runtime run` (a thin C program over the shim)
//   crun_start_ms         `crun run` as a whole process (its overlay is mounted beforehand, untimed; ours is
//                         mounted inside each timed run)
//   start100_s            100 containers created and started concurrently until all run
//   shim_rss_kib          resident memory of one shim (median of the 100)
// Debian's crun refuses this machine's hybrid cgroup layout, so its loop runs in a private mount namespace
// with the empty cgroup2 mount unmounted (the host is untouched).
// Last stdout line: {"tsstack_start_ms","tsstack_cli_start_ms","crun_start_ms","ratio","start100_s","shim_rss_kib"}.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ContainerRuntime, buildOciConfig, detectCgroupVersion, runtimeCliPath, seccompCacheDir } from '@tsstack/runtime'; // prettier-ignore
import { busyboxImage, requireCommand, requireRoot } from '@tsstack/testkit';

const RUNS = Number(process.env.RUNS ?? 30);
const MANY = Number(process.env.MANY ?? 100);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;
const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

/** Inside crun's private mount namespace: run crun RUNS times, print the timings as JSON. */
function crunLoop(bundle: string, runs: number): void {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync('crun', ['--root', path.join(bundle, 'crun-root'), 'run', '--bundle', bundle, `crun-bench-${i}`], { stdio: 'ignore' }); // prettier-ignore
    times.push(ms(t0));
    if (r.status !== 0) throw new Error(`crun run exited ${r.status}`);
  }
  process.stdout.write(JSON.stringify(times) + '\n');
}

function overlayDirs(base: string, i: number): { upperDir: string; workDir: string } {
  const upperDir = path.join(base, `u${i}`);
  const workDir = path.join(base, `w${i}`);
  fs.mkdirSync(upperDir, { recursive: true });
  fs.mkdirSync(workDir, { recursive: true });
  return { upperDir, workDir };
}

function rssKib(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--crun-loop') return crunLoop(process.argv[3], Number(process.argv[4]));
  requireRoot();
  requireCommand('crun', 'crun');
  const lower = (await busyboxImage()).rootfs;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrt-bench-'));
  const stateRoot = fs.mkdtempSync('/run/tsrt-bench-');
  const cgroupParent = `/tsstack-bench-${process.pid}`;
  const runtime = new ContainerRuntime({ stateRoot, cgroupParent });
  try {
    // 1. libs/runtime from this warm process.
    const api: number[] = [];
    for (let i = 0; i < RUNS + 3; i++) {
      const id = `api${i}`;
      const rootfs = { lowerDirs: [lower], ...overlayDirs(path.join(work, 'api'), i) };
      const t0 = process.hrtime.bigint();
      await runtime.run({ id, rootfs, process: { args: ['/bin/true'] }, resources: { pidsLimit: 100 } });
      const exit = await runtime.wait(id);
      const t = ms(t0);
      if (exit.exitCode !== 0) throw new Error(`container exited ${exit.exitCode}`);
      if (i >= 3) api.push(t); // the first runs warm caches
      await runtime.remove(id);
    }

    // 2. The same work through the tsstack-runtime command, and 3. through crun, on one bundle each.
    const bundleFor = (name: string, overlay: boolean, i: number): string => {
      const bundle = path.join(work, `${name}-${i}`);
      fs.mkdirSync(bundle, { recursive: true });
      const dirs = overlayDirs(path.join(work, `${name}-dirs`), i);
      const rootPath = path.join(bundle, 'rootfs');
      fs.mkdirSync(rootPath);
      const config = buildOciConfig(
        {
          id: `${name}${i}`,
          rootfs: overlay ? { lowerDirs: [lower], ...dirs } : { path: rootPath },
          process: { args: ['/bin/true'] },
          resources: { pidsLimit: 100 },
        },
        {
          user: { uid: 0, gid: 0, additionalGids: [0], home: '/' },
          cgroupVersion: detectCgroupVersion(),
          cgroupsPath: `${cgroupParent}/${name}${i}`,
          rootPath,
          logPath: path.join(bundle, 'log'),
          devices: [],
        },
      );
      if (!overlay) execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${dirs.upperDir},workdir=${dirs.workDir}`, rootPath]); // prettier-ignore
      fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config));
      return bundle;
    };
    const cli: number[] = [];
    for (let i = 0; i < RUNS + 3; i++) {
      const bundle = bundleFor('cli', true, i);
      const t0 = process.hrtime.bigint();
      const r = spawnSync(runtimeCliPath(), ['--root', path.join(work, 'cli-root'), 'run', '--bundle', bundle, `cli${i}`], { stdio: 'ignore' }); // prettier-ignore
      const t = ms(t0);
      if (r.status !== 0) throw new Error(`tsstack-runtime run exited ${r.status}`);
      if (i >= 3) cli.push(t);
    }
    // One bundle reused by crun (its overlay mounted once on the host, untimed).
    const crunBundle = bundleFor('crun', false, 0);
    const out = execFileSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$@"', 'sh', process.execPath, __filename, '--crun-loop', crunBundle, String(RUNS + 3)]).toString(); // prettier-ignore
    const crun = (JSON.parse(out.trim().split('\n').at(-1)!) as number[]).slice(3);
    execFileSync('umount', [path.join(crunBundle, 'rootfs')]);

    // 4. Many at once.
    const t0 = process.hrtime.bigint();
    const infos = await Promise.all(
      Array.from(
        { length: MANY },
        (_, i) =>
        runtime.run({ id: `many${i}`, rootfs: { lowerDirs: [lower], ...overlayDirs(path.join(work, 'many'), i) }, process: { args: ['sleep', '60'] } }), // prettier-ignore
      ),
    );
    const start100 = ms(t0) / 1000;
    const rss = median(infos.map((c) => rssKib(c.shimPid)));
    await Promise.all(infos.map((c) => runtime.remove(c.id, { force: true })));

    const result = {
      tsstack_start_ms: round(median(api)),
      tsstack_cli_start_ms: round(median(cli)),
      crun_start_ms: round(median(crun)),
      ratio: round(median(api) / median(crun), 3),
      start100_s: round(start100, 3),
      shim_rss_kib: rss,
    };
    console.log(`runtime start, median of ${RUNS} (ms)      tsstack API   tsstack-runtime   crun`);
    console.log(`/bin/true, overlay, all ns, cgroup     ${String(result.tsstack_start_ms).padStart(11)}   ${String(result.tsstack_cli_start_ms).padStart(15)}   ${String(result.crun_start_ms).padStart(4)}`); // prettier-ignore
    console.log(`ratio tsstack API / crun: ${result.ratio}   (target <= 1.0)`);
    console.log(
      `${MANY} containers started concurrently: ${result.start100_s} s; shim RSS ${rss} KiB (target <= 1024)`,
    );
    console.log(JSON.stringify(result));
  } finally {
    for (const c of await runtime.list()) await runtime.remove(c.id, { force: true }).catch(() => undefined);
    for (const ctl of fs.readdirSync('/sys/fs/cgroup')) {
      const dir =
        detectCgroupVersion() === 2
          ? `/sys/fs/cgroup${cgroupParent}`
          : `/sys/fs/cgroup/${ctl}${cgroupParent}`;
      if (fs.existsSync(dir)) for (const sub of fs.readdirSync(dir, { withFileTypes: true })) if (sub.isDirectory()) fs.rmdirSync(path.join(dir, sub.name)); // prettier-ignore
      if (fs.existsSync(dir)) fs.rmdirSync(dir);
    }
    fs.rmSync(stateRoot, { recursive: true, force: true });
    fs.rmSync(seccompCacheDir(stateRoot), { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
