import { parseSeccompProfile, type SeccompProfile } from '@tsstack/model';
import { DEFAULT_CAPABILITIES } from '../security-defaults';
import { defaultSeccompProfile } from './default-profile';
import { resolveSeccompProfile, type OciSeccomp } from './resolve-profile';

const X64 = { arch: 'x64', kernel: '6.1.0-18-amd64' };
const allowed = (p: OciSeccomp): Set<string> =>
  new Set(p.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args).flatMap((r) => r.names ?? []));
const rulesFor = (p: OciSeccomp, name: string) => p.syscalls.filter((r) => r.names?.includes(name));

describe('the default seccomp profile', () => {
  const def = resolveSeccompProfile(defaultSeccompProfile(), DEFAULT_CAPABILITIES, X64);

  test('is an allowlist that answers EPERM for everything else', () => {
    expect(def.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(def.defaultErrnoRet).toBe(1);
    expect(def.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    const ok = allowed(def);
    for (const name of [
      'read',
      'openat',
      'execve',
      'rt_sigaction',
      'futex',
      'arch_prctl',
      'modify_ldt',
      'ptrace',
    ])
      expect(ok).toContain(name);
    const never = [
      'io_uring_setup',
      'io_uring_enter',
      'io_uring_register',
      'keyctl',
      'add_key',
      'request_key',
    ];
    never.push('userfaultfd', 'kexec_load', 'init_module', 'mount', 'unshare', 'setns', 'bpf', 'pivot_root');
    never.push('reboot', 'settimeofday', 'open_by_handle_at', 'sethostname', 'perf_event_open', 'acct');
    for (const name of never)
      expect(rulesFor(def, name).filter((r) => r.action === 'SCMP_ACT_ALLOW')).toEqual([]);
  });

  test('filters socket, personality and clone by argument; clone3 answers ENOSYS', () => {
    const families = rulesFor(def, 'socket').map((r) => r.args![0]);
    expect(families).toEqual([
      { index: 0, value: 38, op: 'SCMP_CMP_LT' },
      { index: 0, value: 39, op: 'SCMP_CMP_EQ' },
      { index: 0, value: 40, op: 'SCMP_CMP_GT' },
    ]);
    expect(rulesFor(def, 'personality').map((r) => r.args![0].value)).toEqual([
      0, 8, 0x20000, 0x20008, 0xffffffff,
    ]);
    expect(rulesFor(def, 'clone')).toEqual([
      { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] }, // prettier-ignore
    ]);
    expect(rulesFor(def, 'clone3')).toEqual([{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }]);
  });

  test('a capability opens its group of calls', () => {
    const admin = resolveSeccompProfile(
      defaultSeccompProfile(),
      [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'],
      X64,
    );
    const ok = allowed(admin);
    for (const name of ['mount', 'unshare', 'setns', 'clone', 'clone3', 'sethostname'])
      expect(ok).toContain(name);
    expect(rulesFor(admin, 'clone3').some((r) => r.action === 'SCMP_ACT_ERRNO')).toBe(false);
    expect(allowed(def)).toContain('chroot'); // CAP_SYS_CHROOT is one of the default capabilities
    expect(allowed(resolveSeccompProfile(defaultSeccompProfile(), ['CAP_KILL'], X64))).not.toContain(
      'chroot',
    );
    expect(allowed(resolveSeccompProfile(defaultSeccompProfile(), ['CAP_SYS_TIME'], X64))).toContain(
      'settimeofday',
    );
    expect(allowed(resolveSeccompProfile(defaultSeccompProfile(), ['CAP_SYS_BOOT'], X64))).toContain(
      'reboot',
    );
  });

  test('follows the host: its architectures and its kernel', () => {
    const arm = resolveSeccompProfile(defaultSeccompProfile(), DEFAULT_CAPABILITIES, { arch: 'arm64', kernel: '6.6.0' }); // prettier-ignore
    expect(arm.architectures).toEqual(['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    expect(allowed(arm)).not.toContain('arch_prctl');
    expect(allowed(arm)).toContain('set_tls');
    const old = resolveSeccompProfile(defaultSeccompProfile(), DEFAULT_CAPABILITIES, { arch: 'x64', kernel: '4.4.0' }); // prettier-ignore
    expect(allowed(old)).not.toContain('ptrace');
  });

  test('passes its own schema check', () => {
    expect(parseSeccompProfile(defaultSeccompProfile()).problems).toEqual([]);
  });
});

describe('resolving a Docker-format profile', () => {
  const profile: SeccompProfile = {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [
      { name: 'mkdir', action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
      { names: ['chmod'], action: 'SCMP_ACT_ERRNO', includes: { caps: ['CAP_SYS_ADMIN'] } },
      { names: ['chown'], action: 'SCMP_ACT_ERRNO', excludes: { caps: ['CAP_CHOWN'] } },
      { names: ['link'], action: 'SCMP_ACT_ERRNO', includes: { arches: ['arm64'] } },
      { names: ['symlink'], action: 'SCMP_ACT_ERRNO', excludes: { arches: ['arm64'] } },
      { names: ['rename'], action: 'SCMP_ACT_ERRNO', includes: { minKernel: '7.0' } },
    ],
  };

  test('keeps the rules that apply here, as Docker does', () => {
    const r = resolveSeccompProfile(profile, ['CAP_KILL'], X64);
    expect(r).toEqual({
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [
        { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
        { names: ['chown'], action: 'SCMP_ACT_ERRNO' },
        { names: ['symlink'], action: 'SCMP_ACT_ERRNO' },
      ],
    });
    const withCaps = resolveSeccompProfile(profile, ['CAP_SYS_ADMIN', 'CAP_CHOWN'], X64);
    expect(withCaps.syscalls.map((s) => s.names![0])).toEqual(['mkdir', 'chmod', 'symlink']);
  });

  test('an archMap without this host leaves the architectures to the runtime', () => {
    const r = resolveSeccompProfile(
      {
        defaultAction: 'SCMP_ACT_ERRNO',
        archMap: [{ architecture: 'SCMP_ARCH_S390X', subArchitectures: null }],
      },
      [],
      X64,
    );
    expect(r.architectures).toBeUndefined();
  });
});

describe('checking a profile', () => {
  test('names every bad field', () => {
    const { problems } = parseSeccompProfile({
      defaultAction: 'SCMP_ACT_MAYBE',
      architectures: ['x86_64'],
      syscalls: [
        { names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 9, value: 1, op: 'SCMP_CMP_EQ' }] },
        { name: 'open', names: ['openat'], action: 'SCMP_ACT_ALLOW' },
        { names: ['Bad Name'], action: 'SCMP_ACT_ALLOW' },
      ],
      listenerPath: '/run/agent.sock',
    });
    expect(problems).toEqual([
      expect.stringMatching(/^defaultAction: /),
      expect.stringMatching(/^architectures\[0\]: an architecture like SCMP_ARCH_X86_64/),
      expect.stringMatching(/^syscalls\[0\]\.args\[0\]\.index: /),
      expect.stringMatching(/^syscalls\[1\]: use either 'name' or 'names'/),
      expect.stringMatching(/^syscalls\[2\]\.names\[0\]: a syscall name/),
      expect.stringMatching(/^listenerPath: seccomp notify/),
    ]);
    const many = Array.from({ length: 5 }, () => ({ names: Array.from({ length: 1000 }, (_, i) => `s${i}`), action: 'SCMP_ACT_ALLOW' })); // prettier-ignore
    expect(parseSeccompProfile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: many }).problems).toEqual([
      '(profile): at most 4096 syscall names in all',
    ]);
  });
});
