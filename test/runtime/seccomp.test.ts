// Seccomp on real containers: the default allowlist (EPERM for what it does not list, io_uring among them;
// ENOSYS for calls beyond the profile; socket/personality/clone argument filters), a Docker-format profile
// given by the user, and the filter loaded also without no_new_privs. Root, real kernel.
import type { SeccompProfile } from '@tsstack/model';
import { InvalidContainerSpecError } from '@tsstack/runtime';
import { kitPerSuite, type RuntimeKit } from './runtime-kit';
import { probeResults, syscallProbe } from './syscall-probe';

const CLONE_NEWUSER = 0x10000000;
const READ_IMPLIES_EXEC = 0x0400000;
const AF_UNIX = 1;
const AF_ALG = 38;
const AF_VSOCK = 40;

describe('seccomp', () => {
  const kit = kitPerSuite();

  type Extra = Parameters<RuntimeKit['spec']>[2];
  /** Runs `args` in a container whose rootfs holds the probe at /probe; its output lines. */
  const runWithProbe = async (id: string, args: string[], extra: Extra = {}) => {
    const r = await kit().runToEnd({
      ...kit().spec(id, args, extra),
      rootfs: kit().rootfs({ probe: syscallProbe() }),
    });
    expect(r.exitCode).toBe(0);
    return r.lines;
  };
  const probe = async (id: string, calls: string[], extra: Extra = {}) =>
    probeResults(await runWithProbe(id, ['/probe', ...calls], extra));

  test('the default profile answers EPERM outside its allowlist, io_uring included', async () => {
    const refused = ['io_uring_setup,1,0', 'io_uring_enter', 'io_uring_register', 'keyctl', 'add_key'];
    refused.push('userfaultfd', 'bpf', 'kexec_load', 'open_by_handle_at', 'perf_event_open');
    refused.push(`unshare,${CLONE_NEWUSER}`, `socket,${AF_ALG},5,0`, `socket,${AF_VSOCK},1,0`);
    refused.push(`personality,${READ_IMPLIES_EXEC}`);
    const allowed = ['getpid', `socket,${AF_UNIX},1,0`, 'personality,0xffffffff'];
    const r = await probe('def', [...refused, ...allowed]);
    expect(r).toEqual({
      ...Object.fromEntries(refused.map((c) => [c, 'EPERM'])),
      ...Object.fromEntries(allowed.map((c) => [c, 'ok'])),
    });
  });

  test('clone3 and syscalls beyond the profile answer ENOSYS, so libc falls back', async () => {
    const r = await probe('nosys', ['clone3', 'nr:999', 'nr:425']);
    // 999 is above every syscall the profile names (ENOSYS), 425 (io_uring_setup) is not: the default EPERM.
    expect(r).toEqual({ clone3: 'ENOSYS', 'nr:999': 'ENOSYS', 'nr:425': 'EPERM' });
  });

  test('unconfined and privileged containers reach the kernel', async () => {
    const calls = ['io_uring_setup,1,0', `socket,${AF_UNIX},1,0`];
    // io_uring_setup with no params pointer: EFAULT from the kernel itself, not a filter's EPERM.
    expect(await probe('unconf', calls, { seccomp: 'unconfined' })).toEqual({ [calls[0]]: 'EFAULT', [calls[1]]: 'ok' }); // prettier-ignore
    expect(await probe('priv', calls, { privileged: true })).toEqual({
      [calls[0]]: 'EFAULT',
      [calls[1]]: 'ok',
    });
  });

  test('a Docker-format profile is applied: what it refuses fails, what it allows works', async () => {
    const profile: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ALLOW',
      archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] }],
      syscalls: [
        { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13, comment: 'EACCES' },
        // Applies only with CAP_SYS_ADMIN, which this container lacks: chmod stays allowed.
        { names: ['chmod', 'fchmodat', 'fchmodat2'], action: 'SCMP_ACT_ERRNO', includes: { caps: ['CAP_SYS_ADMIN'] } },
      ],
    }; // prettier-ignore
    const script = 'mkdir /made 2>&1 || true; touch /file && echo touched; chmod 600 /file && stat -c %a /file; /probe io_uring_setup,1,0 mkdir'; // prettier-ignore
    expect(await runWithProbe('custom', ['sh', '-c', script], { seccomp: { profile } })).toEqual([
      "mkdir: can't create directory '/made': Permission denied",
      'touched',
      '600',
      'io_uring_setup,1,0 EFAULT',
      'mkdir EACCES',
    ]);
  });

  test('without no_new_privs the filter is loaded too, also for a user without capabilities', async () => {
    const show = 'grep -E "^(Uid|NoNewPrivs|Seccomp):" /proc/self/status; /probe io_uring_setup,1,0 getpid';
    const extra = { noNewPrivileges: false, process: { args: ['sh', '-c', show], user: 'app' } };
    expect(await runWithProbe('nnp', ['sh', '-c', show], extra)).toEqual([
      'Uid:\t1000\t1000\t1000\t1000',
      'NoNewPrivs:\t0',
      'Seccomp:\t2',
      'io_uring_setup,1,0 EPERM',
      'getpid ok',
    ]);
  });

  test('a malformed profile is refused before anything is made', async () => {
    const bad = {
      defaultAction: 'SCMP_ACT_SOMETIMES',
      syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }],
    };
    const spec = kit().spec('badprof', ['true'], { seccomp: { profile: bad as unknown as SeccompProfile } });
    await expect(kit().runtime.create(spec)).rejects.toThrow(InvalidContainerSpecError);
    await expect(kit().runtime.create(spec)).rejects.toThrow(/seccomp: bad profile: defaultAction/);
    expect((await kit().runtime.list()).map((c) => c.id)).not.toContain('badprof');
  });
});
