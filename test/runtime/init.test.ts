// The init of `init: true` containers seen from inside and from the host: PID 1 runs under the container's
// seccomp filter, capabilities and user, with the container's environment only, non-dumpable, from a sealed
// in-memory copy that cannot be written (the CVE-2019-5736 pattern). Root, real kernel.
import * as fs from 'node:fs';
import { RuntimeError } from '@tsstack/runtime';
import { kitPerSuite, type RuntimeKit } from './runtime-kit';

const DOCKER_DEFAULT_CAPEFF = '00000000a80425fb';

describe('init: true', () => {
  const kit = kitPerSuite();

  const running = async (id: string, extra: Parameters<RuntimeKit['spec']>[2] = {}) => {
    const info = await kit().runtime.run(kit().spec(id, ['sleep', '30'], { init: true, ...extra }));
    const sh = async (script: string) =>
      (await kit().runtime.execCollect(id, { args: ['sh', '-c', script] })).stdout.trim().split('\n');
    return { pid: info.pid, sh };
  };

  test('PID 1 has the container’s filter, capabilities and no_new_privs', async () => {
    const c = await running('filtered');
    expect(await c.sh('grep -E "^(Name|CapEff|NoNewPrivs|Seccomp):" /proc/1/status')).toEqual([
      'Name:\ttsstack-init',
      `CapEff:\t${DOCKER_DEFAULT_CAPEFF}`,
      'NoNewPrivs:\t1',
      'Seccomp:\t2',
    ]);
    expect(await c.sh('tr "\\0" " " < /proc/1/cmdline')).toEqual([expect.stringMatching(/^tsstack-init -- sleep 30$/)]); // prettier-ignore
  });

  test('PID 1 holds the container’s environment only, and the container cannot read it', async () => {
    const c = await running('environ', {
      process: { args: ['sleep', '30'], env: { GREETING: 'hello' } },
      hostname: 'envhost',
    });
    const env = fs.readFileSync(`/proc/${c.pid}/environ`, 'utf8').split('\0').filter(Boolean).sort();
    expect(env).toEqual([
      'GREETING=hello',
      'HOME=/root',
      'HOSTNAME=envhost',
      expect.stringMatching(/^PATH=/),
    ]);
    // Non-dumpable: /proc/1 is out of reach for the container's root without CAP_SYS_PTRACE.
    expect(await c.sh('cat /proc/1/environ >/dev/null 2>&1 && echo read || echo refused')).toEqual([
      'refused',
    ]);
  });

  test('/proc/1/exe is a sealed memfd nobody can write, also with CAP_SYS_PTRACE', async () => {
    const c = await running('exe');
    expect(fs.readlinkSync(`/proc/${c.pid}/exe`)).toMatch(/^\/memfd:tsstack-init \(deleted\)$/);
    const write = '(printf x > /proc/1/exe) 2>/dev/null && echo wrote || echo refused';
    expect(await c.sh(`readlink /proc/1/exe || echo unreadable; ${write}`)).toEqual([
      'unreadable',
      'refused',
    ]);
    const traced = await running('exe-ptrace', { capAdd: ['SYS_PTRACE'] });
    expect(await traced.sh(`readlink /proc/1/exe; ${write}; (printf x >> /proc/1/exe) 2>/dev/null || echo refused`)).toEqual([ '/memfd:tsstack-init (deleted)', 'refused', 'refused']); // prettier-ignore
    // The host's copy of the binary is untouched.
    expect(fs.readFileSync(`/proc/${traced.pid}/exe`).subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    // One sealed copy serves every container this runtime process starts: nothing is copied per start.
    expect(fs.statSync(`/proc/${traced.pid}/exe`).ino).toBe(fs.statSync(`/proc/${c.pid}/exe`).ino);
  });

  test('PID 1 runs as the container’s user', async () => {
    const c = await running('user', { process: { args: ['sleep', '30'], user: 'app' } });
    expect(await c.sh('grep -E "^(Uid|CapEff|Seccomp):" /proc/1/status')).toEqual([
      'Uid:\t1000\t1000\t1000\t1000',
      'CapEff:\t0000000000000000',
      'Seccomp:\t2',
    ]);
  });

  test('in a user namespace the init runs as the mapped root, filtered', async () => {
    const map = [{ containerId: 0, hostId: 300000, size: 65536 }];
    const c = await running('userns-init', { userns: { uidMappings: map, gidMappings: map } });
    expect(await c.sh('grep -E "^(Name|Uid|Seccomp):" /proc/1/status')).toEqual([
      'Name:\ttsstack-init',
      'Uid:\t0\t0\t0\t0',
      'Seccomp:\t2',
    ]);
    expect(/^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${c.pid}/status`, 'utf8'))![1]).toBe('300000');
  });

  test('a profile that refuses prctl fails the start rather than leave PID 1 dumpable', async () => {
    const profile = { defaultAction: 'SCMP_ACT_ALLOW' as const, syscalls: [{ names: ['prctl'], action: 'SCMP_ACT_ERRNO' as const }] }; // prettier-ignore
    await kit().runtime.create(kit().spec('noprctl', ['sleep', '30'], { init: true, seccomp: { profile } }));
    const err = await kit()
      .runtime.start('noprctl')
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toMatchObject({ code: 'EPERM', syscall: 'init' });
    expect(String(err)).toMatch(/make PID 1 non-dumpable/);
  });

  test('a program that cannot be executed fails start with errno and the step, as without init', async () => {
    await kit().runtime.create(kit().spec('noprog', ['/no/such/program'], { init: true }));
    const err = await kit()
      .runtime.start('noprog')
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(RuntimeError);
    expect(err).toMatchObject({ code: 'ENOENT', syscall: 'exec' });
  });
});
