// The native core seen from inside the container: namespaces, mounts, security defaults, identity, exit
// reporting. Root, real kernel.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InvalidContainerSpecError, RuntimeError } from '@tsstack/runtime';
import { requireRoot } from '@tsstack/testkit';
import { createRuntimeKit, hostMountsMentioning, type RuntimeKit } from './runtime-kit';

const DOCKER_DEFAULT_CAPEFF = '00000000a80425fb';

describe('container core', () => {
  let kit: RuntimeKit;
  beforeAll(async () => {
    requireRoot();
    kit = await createRuntimeKit();
  });
  afterAll(async () => kit.teardown());

  test('PID 1 is the container process and host processes are invisible', async () => {
    const r = await kit.runToEnd(
      kit.spec('pid1', ['sh', '-c', 'echo pid=$$; ls /proc | grep -cE "^[0-9]+$"']),
    );
    expect(r.lines[0]).toBe('pid=1');
    expect(Number(r.lines[1])).toBeLessThanOrEqual(3);
    expect(r.exitCode).toBe(0);
  });

  test('hostname, env, cwd and umask are the spec’s', async () => {
    const r = await kit.runToEnd(
      kit.spec('ident', ['sh', '-c', 'hostname; echo $GREETING; pwd; umask'], {
        hostname: 'web-1',
        process: { args: ['sh', '-c', 'hostname; echo $GREETING; pwd; umask'], env: { GREETING: 'hi there' }, cwd: '/srv/app', umask: 0o027 }, // prettier-ignore
      }),
    );
    expect(r.lines).toEqual(['web-1', 'hi there', '/srv/app', '0027']);
  });

  test('the mount table is the container’s own and nothing propagates to the host', async () => {
    const spec = kit.spec('mounts', ['sh', '-c', 'cat /proc/self/mountinfo; sleep 0.5']);
    await kit.runtime.run(spec);
    expect(hostMountsMentioning(kit.root)).toEqual([]);
    expect(hostMountsMentioning('tsrt-work')).toEqual([]);
    const exit = await kit.runtime.wait('mounts');
    const lines: string[] = [];
    for await (const e of kit.runtime.logs('mounts')) lines.push(e.line);
    expect(exit.exitCode).toBe(0);
    const points = lines.map((l) => l.split(' ')[4]);
    expect(points).toEqual(
      expect.arrayContaining(['/', '/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys']),
    );
    expect(points.some((p) => p.startsWith('/work') || p.startsWith('/run/tsrt'))).toBe(false);
    expect(lines.find((l) => l.split(' ')[4] === '/')).toContain(' - overlay ');
  });

  test('masked and read-only paths hold', async () => {
    // Only the masked files this kernel has (it may lack /proc/kcore or /proc/sched_debug).
    const files = ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug'].filter((f) =>
      fs.existsSync(f),
    );
    expect(files.length).toBeGreaterThan(0);
    const script = [
      ...files.map((f) => `wc -c < ${f}`),
      'ls /sys/firmware | wc -l',
      '(echo 1 > /proc/sys/kernel/domainname) 2>/dev/null && echo wrote || echo ro',
      '(echo 1 > /proc/irq/default_smp_affinity) 2>/dev/null && echo wrote || echo ro',
    ].join('; ');
    const r = await kit.runToEnd(kit.spec('masked', ['sh', '-c', script]));
    expect(r.lines).toEqual([...files.map(() => '0'), '0', 'ro', 'ro']);
  });

  test('capabilities are Docker’s default set, changed by cap_add and cap_drop', async () => {
    const show = ['sh', '-c', 'grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/self/status'];
    const def = await kit.runToEnd(kit.spec('caps', show));
    expect(def.lines).toEqual([`CapEff:\t${DOCKER_DEFAULT_CAPEFF}`, `CapBnd:\t${DOCKER_DEFAULT_CAPEFF}`, 'NoNewPrivs:\t1', 'Seccomp:\t2']); // prettier-ignore
    const changed = await kit.runToEnd(
      kit.spec('caps2', show, { capAdd: ['NET_ADMIN'], capDrop: ['CHOWN'] }),
    );
    const eff = BigInt('0x' + changed.lines.find((l) => l.startsWith('CapEff'))!.split('\t')[1]);
    const NET_ADMIN = 1n << 12n;
    const CHOWN = 1n;
    expect(eff & NET_ADMIN).toBe(NET_ADMIN);
    expect(eff & CHOWN).toBe(0n);
    expect(eff).toBe((BigInt('0x' + DOCKER_DEFAULT_CAPEFF) | NET_ADMIN) & ~CHOWN);
  });

  test('seccomp refuses namespace creation with EPERM, unconfined allows it', async () => {
    const probe = ['sh', '-c', 'unshare -U true && echo allowed || echo refused'];
    const confined = await kit.runToEnd(kit.spec('sec1', probe));
    expect(confined.lines).toContain('refused');
    expect(confined.lines.join('\n')).toMatch(/Operation not permitted/);
    const unconfined = await kit.runToEnd(
      kit.spec('sec2', probe, { seccomp: 'unconfined', noNewPrivileges: false }),
    );
    expect(unconfined.lines).toContain('allowed');
  });

  test('read-only rootfs refuses writes; bind, read-only bind and tmpfs mounts work', async () => {
    const host = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrt-bind-'));
    try {
      fs.writeFileSync(path.join(host, 'in.txt'), 'from host');
      const r = await kit.runToEnd(
        kit.spec(
          'mnt2',
          [
            'sh',
            '-c',
            'touch /x 2>&1 | grep -q "Read-only" && echo rootro; cat /data/in.txt; echo; echo out > /data/out.txt; (echo y > /ro/y) 2>/dev/null || echo bindro; echo t > /scratch/t && grep " /scratch " /proc/mounts', // prettier-ignore
          ],
          {
            readonlyRootfs: true,
            mounts: [
              { type: 'bind', source: host, target: '/data' },
              { type: 'bind', source: host, target: '/ro', readOnly: true },
              { type: 'tmpfs', target: '/scratch', sizeBytes: 1 << 20 },
            ],
          },
        ),
      );
      expect(r.lines.slice(0, 3)).toEqual(['rootro', 'from host', 'bindro']);
      expect(r.lines[3]).toMatch(/^tmpfs \/scratch tmpfs rw,.*size=1024k/);
      expect(fs.readFileSync(path.join(host, 'out.txt'), 'utf8')).toBe('out\n');
    } finally {
      fs.rmSync(host, { recursive: true, force: true });
    }
  });

  test('user switching: names, numeric ids and supplementary groups from the image', async () => {
    const app = await kit.runToEnd(kit.spec('user1', ['id'], { process: { args: ['id'], user: 'app' } }));
    expect(app.lines[0]).toBe('uid=1000(app) gid=1000(app) groups=1000(app),2000(extra)');
    const numeric = await kit.runToEnd(
      kit.spec('user2', ['id'], { process: { args: ['id'], user: '4321' } }),
    );
    expect(numeric.lines[0]).toMatch(/^uid=4321 gid=0\(root\)/);
    const nonRootCaps = await kit.runToEnd(
      kit.spec('user3', ['grep', 'CapEff', '/proc/self/status'], { process: { args: ['grep', 'CapEff', '/proc/self/status'], user: 'app' } }), // prettier-ignore
    );
    expect(nonRootCaps.lines[0]).toBe('CapEff:\t0000000000000000');
  });

  test('exit codes and signals are reported exactly', async () => {
    expect((await kit.runToEnd(kit.spec('exit42', ['sh', '-c', 'exit 42']))).exitCode).toBe(42);
    await kit.runtime.run(kit.spec('killed', ['sleep', '60']));
    await kit.runtime.kill('killed', 'SIGKILL');
    const exit = await kit.runtime.wait('killed');
    expect(exit).toMatchObject({ exitCode: 137, signal: 'KILL', oomKilled: false });
  });

  test('a program that cannot be executed fails start with errno and the step', async () => {
    await kit.runtime.create(kit.spec('noexec', ['/does/not/exist']));
    const err = await kit.runtime.start('noexec').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect(err).toMatchObject({ code: 'ENOENT', syscall: 'exec' });
    expect((err as Error).message).toMatch(/exec: \/does\/not\/exist/);
  });

  test('PID 1 holds no file descriptor beyond stdio', async () => {
    await kit.runtime.run(kit.spec('fds', ['sleep', '30']));
    const r = await kit.runtime.execCollect('fds', { args: ['ls', '/proc/1/fd'] });
    expect(r.stdout.trim().split(/\s+/).sort()).toEqual(['0', '1', '2']);
    await kit.runtime.remove('fds', { force: true });
  });

  test('mount targets through symlinks resolve inside the rootfs, never on the host', async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrt-outside-'));
    try {
      const spec = kit.spec('symlink', ['sh', '-c', `touch /escape/f && ls -d ${outside}`], {
        mounts: [{ type: 'tmpfs', target: '/escape' }],
      });
      spec.rootfs = kit.rootfs({ escape: { symlink: outside } });
      const r = await kit.runToEnd(spec);
      expect(r.exitCode).toBe(0);
      expect(fs.readdirSync(outside)).toEqual([]);
      expect(hostMountsMentioning(outside)).toEqual([]);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  test('a rootfs whose /proc is a symlink is refused and leaves nothing', async () => {
    const spec = kit.spec('badproc', ['true']);
    spec.rootfs = kit.rootfs({ proc: { symlink: '/etc' } });
    const err = await kit.runtime.create(spec).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/\/proc in the rootfs is a symlink/);
    expect(fs.existsSync(path.join(kit.runtime.stateRoot, 'badproc'))).toBe(false);
    for (const d of kit.cgroupDirs('badproc')) expect(fs.existsSync(d)).toBe(false);
  });

  test('bad specs fail clearly before anything is made', async () => {
    const missing = kit.spec('bad1', ['true'], { rootfs: { path: '/nonexistent/rootfs' } });
    await expect(kit.runtime.create(missing)).rejects.toThrow(
      /rootfs: \/nonexistent\/rootfs is not a directory/,
    );
    const badUser = kit.spec('bad2', ['true'], { process: { args: ['true'], user: 'nosuchuser' } });
    await expect(kit.runtime.create(badUser)).rejects.toThrow(InvalidContainerSpecError);
    await expect(kit.runtime.create(badUser)).rejects.toThrow(
      /user "nosuchuser" is not in the image's \/etc\/passwd/,
    );
    const badMount = kit.spec('bad3', ['true'], {
      mounts: [{ type: 'bind', source: '/nonexistent/src', target: '/x' }],
    });
    await expect(kit.runtime.create(badMount)).rejects.toThrow(
      /mounts\[0\]\.source: \/nonexistent\/src does not exist/,
    );
    const relative = kit.spec('bad4', ['true'], { mounts: [{ type: 'tmpfs', target: '../etc' }] });
    await expect(kit.runtime.create(relative)).rejects.toThrow(
      /mounts\[0\]\.target: "\.\.\/etc" must be absolute/,
    );
    await expect(kit.runtime.create(kit.spec('bad id!', ['true']))).rejects.toThrow(/^id:/);
    for (const id of ['bad1', 'bad2', 'bad3', 'bad4'])
      expect(fs.existsSync(path.join(kit.runtime.stateRoot, id))).toBe(false);
  });

  test('sysctls and ulimits apply inside the container', async () => {
    const r = await kit.runToEnd(
      kit.spec('sysctl', ['sh', '-c', 'cat /proc/sys/net/ipv4/ip_unprivileged_port_start; ulimit -n'], {
        sysctls: { 'net.ipv4.ip_unprivileged_port_start': '80' },
        ulimits: { nofile: { soft: 1234, hard: 2048 } },
      }),
    );
    expect(r.lines).toEqual(['80', '1234']);
  });

  test('devices: a host device node is exposed when asked for', async () => {
    const r = await kit.runToEnd(
      kit.spec('dev', ['sh', '-c', 'ls -l /dev/fuse /dev/null | cut -c1'], {
        devices: [{ source: '/dev/fuse', target: '/dev/fuse', permissions: 'rwm' }],
      }),
    );
    expect(r.lines).toEqual(['c', 'c']);
  });
});
