// Container lifecycle through libs/runtime: cgroup limits and stats, OOM, init, stop, logs, exec, adoption by
// a fresh process after the creator was SIGKILLed, and removal that leaves nothing. Root, real kernel.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ContainerRuntime } from '@tsstack/runtime';
import { requireRoot } from '@tsstack/testkit';
import { createRuntimeKit, hostMountsMentioning, processAlive, type RuntimeKit } from './runtime-kit';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function cgroupFile(kit: RuntimeKit, id: string, v1: [string, string], v2: string): string {
  const v2mode = fs.existsSync('/sys/fs/cgroup/cgroup.controllers');
  const file = v2mode ? `/sys/fs/cgroup${kit.cgroupParent}/${id}/${v2}` : `/sys/fs/cgroup/${v1[0]}${kit.cgroupParent}/${id}/${v1[1]}`; // prettier-ignore
  return fs.readFileSync(file, 'utf8').trim();
}

describe('container lifecycle', () => {
  let kit: RuntimeKit;
  beforeAll(async () => {
    requireRoot();
    kit = await createRuntimeKit();
  });
  afterAll(async () => kit.teardown());

  test('cpu quota, shares, cpuset, memory and pids limits land in the cgroup files', async () => {
    await kit.runtime.run(
      kit.spec('limits', ['sleep', '30'], {
        resources: { nanoCpus: 0.5e9, cpuShares: 512, cpuset: '0', memoryBytes: 64 << 20, pidsLimit: 50 },
      }),
    );
    expect(cgroupFile(kit, 'limits', ['cpu', 'cpu.cfs_quota_us'], 'cpu.max')).toMatch(/^50000( 100000)?$/);
    expect(cgroupFile(kit, 'limits', ['cpu', 'cpu.shares'], 'cpu.weight')).toBe(
      fs.existsSync('/sys/fs/cgroup/cgroup.controllers') ? '20' : '512',
    );
    expect(cgroupFile(kit, 'limits', ['cpuset', 'cpuset.cpus'], 'cpuset.cpus')).toBe('0');
    expect(cgroupFile(kit, 'limits', ['memory', 'memory.limit_in_bytes'], 'memory.max')).toBe(
      String(64 << 20),
    );
    expect(cgroupFile(kit, 'limits', ['pids', 'pids.max'], 'pids.max')).toBe('50');
    const stats = await kit.runtime.stats('limits');
    expect(stats.memoryLimitBytes).toBe(64 << 20);
    expect(stats.pids).toBe(1);
    expect(stats.memoryUsageBytes).toBeGreaterThan(0);
    await kit.runtime.remove('limits', { force: true });
    for (const d of kit.cgroupDirs('limits')) expect(fs.existsSync(d)).toBe(false);
  });

  test('a user namespace maps container root to an unprivileged host uid', async () => {
    const map = [{ containerId: 0, hostId: 200000, size: 65536 }];
    const info = await kit.runtime.run(
      kit.spec('userns', ['sh', '-c', 'id -u; cat /proc/self/uid_map | tr -s " "; sleep 5'], {
        userns: { uidMappings: map, gidMappings: map },
      }),
    );
    await sleep(300);
    const hostUid = /^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${info.pid}/status`, 'utf8'))![1];
    expect(hostUid).toBe('200000');
    await kit.runtime.kill('userns');
    await kit.runtime.wait('userns');
    const lines: string[] = [];
    for await (const e of kit.runtime.logs('userns')) lines.push(e.line.trim());
    expect(lines).toEqual(['0', '0 200000 65536']);
  });

  test('the device cgroup refuses devices outside the allowlist, even to root with CAP_MKNOD', async () => {
    const r = await kit.runToEnd(
      kit.spec(
        'devcg',
        ['sh', '-c', 'mknod /tmp/disk b 8 0 && head -c 1 /tmp/disk > /dev/null && echo read || echo refused'],
        {
          // prettier-ignore
          deviceCgroupRules: [],
        },
      ),
    );
    expect(r.lines).toContain('refused');
    expect(r.lines.join('\n')).toMatch(/Operation not permitted/);
  });

  test('cpu usage is read back from the cgroup', async () => {
    await kit.runtime.run(
      kit.spec('cpu', ['sh', '-c', 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; sleep 30']),
    );
    await sleep(800);
    const stats = await kit.runtime.stats('cpu');
    expect(stats.cpuUsageNs).toBeGreaterThan(10_000_000);
    await kit.runtime.remove('cpu', { force: true });
  });

  test('without a cgroup hierarchy in view, create fails loudly instead of running unconfined', async () => {
    const dist = path.resolve(__dirname, '../../dist/libs/runtime/index.js');
    const script = `
      const { ContainerRuntime } = require(${JSON.stringify(dist)});
      new ContainerRuntime({ stateRoot: ${JSON.stringify(path.join(kit.root, 'nocg'))} })
        .run({ id: 'nocg', rootfs: ${JSON.stringify(kit.rootfs())}, process: { args: ['true'] } })
        .then(() => console.log('ran'), (e) => console.log(e.code + ' ' + e.message));`;
    // A private mount namespace whose /sys/fs/cgroup is unmounted, as under `ip netns exec`.
    const out = execFileSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'umount -R /sys/fs/cgroup && exec "$@"', 'sh', process.execPath, '-e', script]).toString(); // prettier-ignore
    expect(out).toMatch(/^ENOENT .*no cgroup hierarchy is mounted at \/sys\/fs\/cgroup/);
    expect(fs.existsSync(path.join(kit.root, 'nocg', 'nocg'))).toBe(false);
  });

  test('memory reservation and swap land in the cgroup; an io weight the kernel cannot take is discarded', async () => {
    await kit.runtime.run(
      kit.spec('memres', ['sleep', '30'], {
        resources: {
          memoryBytes: 64 << 20,
          memoryReservationBytes: 32 << 20,
          memorySwapBytes: 128 << 20,
          ioWeight: 500,
        },
      }),
    );
    expect(cgroupFile(kit, 'memres', ['memory', 'memory.soft_limit_in_bytes'], 'memory.low')).toBe(
      String(32 << 20),
    );
    expect(cgroupFile(kit, 'memres', ['memory', 'memory.memsw.limit_in_bytes'], 'memory.swap.max')).toBe(
      String(fs.existsSync('/sys/fs/cgroup/cgroup.controllers') ? 64 << 20 : 128 << 20),
    );
    const weights = ['blkio.weight', 'blkio.bfq.weight', 'io.weight']
      .map((f) =>
        kit
          .cgroupDirs('memres')
          .map((d) => path.join(d.replace('/memory/', '/blkio/'), f))
          .find((p) => fs.existsSync(p)),
      )
      .filter(Boolean) as string[];
    for (const w of weights) expect(fs.readFileSync(w, 'utf8')).toMatch(/500|default 500/);
    expect((await kit.runtime.inspect('memres')).status).toBe('running');
    await kit.runtime.remove('memres', { force: true });
  });

  test('privileged lifts capabilities, seccomp, no_new_privs and masks', async () => {
    const r = await kit.runToEnd(
      kit.spec('priv', ['sh', '-c', 'grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status; grep " /sys " /proc/self/mountinfo | cut -d" " -f6; wc -c < /proc/timer_list'], { privileged: true }), // prettier-ignore
    );
    // Every capability this host lets us hold (our own bounding set), as Docker's privileged gives its own.
    const bounding = /^CapBnd:\s+([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1];
    expect(r.lines[0]).toBe(`CapEff:\t${bounding}`);
    expect(r.lines.slice(1, 4)).toEqual(['NoNewPrivs:\t0', 'Seccomp:\t0', expect.stringMatching(/^rw,/)]);
    expect(Number(r.lines[4])).toBeGreaterThan(0);
  });

  test('bind mount propagation is the one asked for', async () => {
    const host = fs.mkdtempSync(path.join(kit.root, 'prop-'));
    const r = await kit.runToEnd(
      kit.spec(
        'prop',
        ['sh', '-c', 'grep " /shared " /proc/self/mountinfo; grep " /private " /proc/self/mountinfo'],
        {
          mounts: [
            { type: 'bind', source: host, target: '/shared', propagation: 'rshared' },
            { type: 'bind', source: host, target: '/private', propagation: 'rprivate' },
          ],
        },
      ),
    );
    expect(r.lines[0]).toMatch(/ shared:\d+/);
    expect(r.lines[1]).not.toMatch(/ shared:\d+/);
  });

  test('hostPid shares the host PID namespace (Compose pid: host); host network shares its interfaces', async () => {
    const r = await kit.runToEnd(
      kit.spec('hostpid', ['sh', '-c', 'ls /proc | grep -cE "^[0-9]+$"; cat /proc/net/dev | grep -c :'], { hostPid: true, network: { mode: 'host' } }), // prettier-ignore
    );
    const hostProcs = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).length;
    expect(Number(r.lines[0])).toBeGreaterThan(Math.min(20, hostProcs / 2));
    const hostIfs = fs
      .readFileSync('/proc/net/dev', 'utf8')
      .split('\n')
      .filter((l) => l.includes(':')).length;
    expect(Number(r.lines[1])).toBe(hostIfs);
  });

  test('exec with a terminal gets a pty', async () => {
    await kit.runtime.run(kit.spec('ttyexec', ['sleep', '30']));
    const r = await kit.runtime.execCollect('ttyexec', { args: ['tty'], tty: true });
    expect(r.stdout.trim()).toMatch(/^\/dev\/pts\/\d+$/);
    expect(r.exitCode).toBe(0);
    await kit.runtime.remove('ttyexec', { force: true });
  });

  test('pids limit 0 and -1 both mean unlimited (pids.max = max)', async () => {
    for (const [id, pidsLimit] of [
      ['pids0', 0],
      ['pidsm1', -1],
    ] as const) {
      await kit.runtime.run(kit.spec(id, ['sleep', '30'], { resources: { pidsLimit } }));
      expect(cgroupFile(kit, id, ['pids', 'pids.max'], 'pids.max')).toBe('max');
      await kit.runtime.remove(id, { force: true });
    }
  });

  test('a fork bomb is contained by the pids limit', async () => {
    await kit.runtime.run(kit.spec('forkbomb', ['sleep', '30'], { resources: { pidsLimit: 20 } }));
    const bomb = kit.runtime.execCollect('forkbomb', {
      args: ['sh', '-c', 'for i in $(seq 60); do sleep 5 & done; wait'],
    });
    await sleep(800);
    const stats = await kit.runtime.stats('forkbomb');
    expect(stats.pids).toBeLessThanOrEqual(20);
    expect(stats.pids).toBeGreaterThanOrEqual(15);
    await kit.runtime.remove('forkbomb', { force: true });
    expect((await bomb).stderr).toMatch(/can't fork/);
  });

  test('a process allocating past the memory limit is OOM-killed and reported as OOM', async () => {
    const r = await kit.runToEnd(
      kit.spec('oom', ['sh', '-c', 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived'], {
        resources: { memoryBytes: 32 << 20, memorySwapBytes: 32 << 20 },
      }),
    );
    expect(r.oomKilled).toBe(true);
    expect(r.lines).not.toContain('survived');
  });

  test('init: zombies are reaped and SIGTERM reaches the program; without init PID 1 ignores it', async () => {
    const zombies = 'cat /proc/[0-9]*/stat | grep -c ") Z" || true';
    await kit.runtime.run(kit.spec('noinit', ['sh', '-c', '(sleep 0.1 &); exec sleep 30']));
    await kit.runtime.run(kit.spec('withinit', ['sh', '-c', '(sleep 0.1 &); exec sleep 30'], { init: true }));
    await sleep(600);
    expect((await kit.runtime.execCollect('noinit', { args: ['sh', '-c', zombies] })).stdout.trim()).toBe(
      '1',
    );
    expect((await kit.runtime.execCollect('withinit', { args: ['sh', '-c', zombies] })).stdout.trim()).toBe(
      '0',
    );
    const started = Date.now();
    const graceful = await kit.runtime.stop('withinit', { signal: 'SIGTERM', timeoutMs: 5000 });
    expect(graceful).toMatchObject({ exitCode: 143 });
    expect(Date.now() - started).toBeLessThan(4000);
    const forced = await kit.runtime.stop('noinit', { signal: 'SIGTERM', timeoutMs: 300 });
    expect(forced).toMatchObject({ exitCode: 137, signal: 'KILL' });
  });

  test('logs: stdout and stderr apart, tail, since, follow and size rotation', async () => {
    await kit.runtime.run(
      kit.spec(
        'logs',
        [
          'sh',
          '-c',
          'for i in $(seq 1 300); do echo "out $i"; echo "err $i" >&2; done; sleep 0.5; echo last',
        ],
        {
          log: { maxSizeBytes: 8192, maxFile: 3 },
        },
      ),
    );
    const followed: string[] = [];
    for await (const e of kit.runtime.logs('logs', { follow: true })) followed.push(`${e.stream}:${e.line}`);
    expect(followed.at(-1)).toBe('stdout:last');
    const dir = path.join(kit.runtime.stateRoot, 'logs');
    expect(fs.existsSync(path.join(dir, 'container.log.1'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'container.log.3'))).toBe(false);
    for (const f of ['container.log', 'container.log.1'])
      expect(fs.statSync(path.join(dir, f)).size).toBeLessThanOrEqual(8192);
    const tail: string[] = [];
    for await (const e of kit.runtime.logs('logs', { tail: 3 })) tail.push(e.line);
    expect(tail).toHaveLength(3);
    expect(tail.at(-1)).toBe('last');
    const since: string[] = [];
    for await (const e of kit.runtime.logs('logs', { since: Date.now() + 60_000 })) since.push(e.line);
    expect(since).toEqual([]);
    const streams = new Map<string, string[]>();
    for await (const e of kit.runtime.logs('logs'))
      streams.set(e.stream, [...(streams.get(e.stream) ?? []), e.line]);
    expect(streams.get('stderr')!.every((l) => l.startsWith('err '))).toBe(true);
    expect(
      streams
        .get('stdout')!
        .filter((l) => l !== 'last')
        .every((l) => l.startsWith('out ')),
    ).toBe(true);
    expect(streams.get('stderr')!.at(-1)).toBe('err 300');
  });

  test('exec runs inside the container’s namespaces with env, user and exit code', async () => {
    await kit.runtime.run(kit.spec('execbox', ['sleep', '30'], { hostname: 'execbox', process: { args: ['sleep', '30'], env: { A: '1' } } })); // prettier-ignore
    const r = await kit.runtime.execCollect('execbox', {
      args: ['sh', '-c', 'hostname; echo $A $B; id -u; ls /proc | grep -cE "^[0-9]+$"; exit 7'],
      env: { B: '2' },
      user: '1000',
    });
    // sleep (PID 1), sh, ls and grep
    expect(r.stdout.trim().split('\n')).toEqual(['execbox', '1 2', '1000', '4']);
    expect(r.exitCode).toBe(7);
    const missing = await kit.runtime.execCollect('execbox', { args: ['/nope'] });
    expect(missing.exitCode).toBe(127);
    await kit.runtime.remove('execbox', { force: true });
  });

  test('SIGKILL of the creating process leaves containers running; a fresh runtime adopts, logs, stops and removes them', async () => {
    const stateRoot = path.join(kit.root, 'adopt');
    const dist = path.resolve(__dirname, '../../dist/libs/runtime/index.js');
    expect(fs.existsSync(dist)).toBe(true);
    const rootfs = kit.rootfs();
    const script = `
      const { ContainerRuntime } = require(${JSON.stringify(dist)});
      const rt = new ContainerRuntime({ stateRoot: ${JSON.stringify(stateRoot)}, cgroupParent: ${JSON.stringify(kit.cgroupParent)} });
      rt.run({ id: 'survivor', rootfs: ${JSON.stringify(rootfs)}, process: { args: ['sh', '-c', 'echo up; while true; do sleep 0.1; done'] }, labels: { 'io.tsstack.task.id': 't1' } })
        .then(() => { process.stdout.write('ready\\n'); setInterval(() => {}, 1000); });
    `;
    const creator = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      creator.stdout.on('data', (d) => String(d).includes('ready') && resolve());
      creator.on('exit', (code) => reject(new Error(`creator exited ${code}`)));
    });
    creator.kill('SIGKILL');
    await new Promise((r) => creator.once('exit', r));
    const fresh = new ContainerRuntime({ stateRoot, cgroupParent: kit.cgroupParent });
    const [found] = await fresh.list();
    expect(found).toMatchObject({
      id: 'survivor',
      status: 'running',
      labels: { 'io.tsstack.task.id': 't1' },
    });
    expect(processAlive(found.pid)).toBe(true);
    const lines: string[] = [];
    for await (const e of fresh.logs('survivor')) lines.push(e.line);
    expect(lines).toContain('up');
    const exit = await fresh.stop('survivor', { timeoutMs: 300 });
    expect(exit.exitCode).toBe(137);
    await fresh.remove('survivor');
    expect(processAlive(found.shimPid)).toBe(false);
    expect(processAlive(found.pid)).toBe(false);
    expect(fs.readdirSync(stateRoot)).toEqual([]);
    for (const d of kit.cgroupDirs('survivor')) expect(fs.existsSync(d)).toBe(false);
    expect(hostMountsMentioning(stateRoot)).toEqual([]);
  });

  test('a container that exited while nobody watched is reported with its real exit code', async () => {
    await kit.runtime.run(kit.spec('quiet', ['sh', '-c', 'sleep 0.2; exit 3']));
    await sleep(700);
    const fresh = new ContainerRuntime({ stateRoot: kit.runtime.stateRoot, cgroupParent: kit.cgroupParent });
    const info = await fresh.inspect('quiet');
    expect(info.status).toBe('stopped');
    expect(info.exit).toMatchObject({ exitCode: 3, oomKilled: false });
  });

  test('after remove nothing is left: no shim, process, cgroup, mount or file', async () => {
    const info = await kit.runtime.run(
      kit.spec('gone', ['sleep', '30'], { resources: { memoryBytes: 32 << 20 } }),
    );
    expect(processAlive(info.shimPid)).toBe(true);
    await kit.runtime.remove('gone', { force: true });
    await sleep(50);
    expect(processAlive(info.shimPid)).toBe(false);
    expect(processAlive(info.pid)).toBe(false);
    expect(fs.existsSync(path.join(kit.runtime.stateRoot, 'gone'))).toBe(false);
    for (const d of kit.cgroupDirs('gone')) expect(fs.existsSync(d)).toBe(false);
    expect(hostMountsMentioning('/gone')).toEqual([]);
    const shims = execFileSync('sh', [
      '-c',
      `pgrep -f "[t]sstack-shim supervise ${kit.runtime.stateRoot}/gone" || true`,
    ]).toString();
    expect(shims.trim()).toBe('');
  });
});
