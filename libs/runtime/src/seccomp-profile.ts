// The default seccomp profile, equal in effect to Docker's: Docker allows a long list and refuses the rest;
// tsstack allows by default and refuses the same dangerous calls, each lifted by the capability that Docker
// ties it to (cap_add: SYS_ADMIN allows mount, SYS_TIME allows settimeofday, ...). Namespace-creating
// clone flags are refused unless SYS_ADMIN; clone3 answers ENOSYS so libc falls back to clone, as in Docker.

export interface SeccompRule {
  names: string[];
  action: 'SCMP_ACT_ERRNO' | 'SCMP_ACT_ALLOW';
  errnoRet?: number;
  args?: Array<{ index: number; value: number; valueTwo: number; op: 'SCMP_CMP_MASKED_EQ' }>;
}

export interface SeccompProfile {
  defaultAction: 'SCMP_ACT_ALLOW';
  architectures: string[];
  syscalls: SeccompRule[];
}

const EPERM = 1;
const ENOSYS = 38;

/** Syscalls refused unless the container holds the capability named (undefined: always refused). */
const GUARDED: Array<[string | undefined, string[]]> = [
  [undefined, ['lookup_dcookie', 'nfsservctl', 'uselib', 'ustat', 'sysfs', '_sysctl', 'vm86', 'vm86old']],
  [undefined, ['kexec_file_load', 'kexec_load', 'add_key', 'request_key', 'keyctl', 'userfaultfd']],
  [undefined, ['create_module', 'get_kernel_syms', 'query_module', 'perf_event_open']],
  [
    'CAP_SYS_ADMIN',
    ['mount', 'umount', 'umount2', 'pivot_root', 'setns', 'unshare', 'quotactl', 'swapon', 'swapoff'],
  ],
  ['CAP_SYS_ADMIN', ['fsopen', 'fsconfig', 'fsmount', 'fspick', 'move_mount', 'open_tree', 'mount_setattr']],
  ['CAP_SYS_ADMIN', ['bpf', 'fanotify_init', 'lookup_dcookie', 'name_to_handle_at']],
  ['CAP_SYS_MODULE', ['init_module', 'finit_module', 'delete_module']],
  ['CAP_SYS_TIME', ['settimeofday', 'stime', 'clock_settime', 'clock_adjtime']],
  ['CAP_SYS_BOOT', ['reboot']],
  ['CAP_SYS_PACCT', ['acct']],
  ['CAP_SYS_RAWIO', ['iopl', 'ioperm']],
  ['CAP_SYS_PTRACE', ['kcmp', 'process_vm_readv', 'process_vm_writev', 'process_madvise']],
  ['CAP_SYS_NICE', ['get_mempolicy', 'set_mempolicy', 'mbind', 'move_pages', 'migrate_pages']],
  ['CAP_DAC_READ_SEARCH', ['open_by_handle_at']],
  ['CAP_SYS_TTY_CONFIG', ['vhangup']],
  ['CAP_SYSLOG', ['syslog']],
];

const NAMESPACE_FLAGS = [0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000];

export function defaultSeccompProfile(capabilities: readonly string[]): SeccompProfile {
  const held = new Set(capabilities);
  const refused = new Set<string>();
  for (const [cap, names] of GUARDED) if (!cap || !held.has(cap)) names.forEach((n) => refused.add(n));
  const syscalls: SeccompRule[] = [{ names: [...refused].sort(), action: 'SCMP_ACT_ERRNO', errnoRet: EPERM }];
  if (!held.has('CAP_SYS_ADMIN')) {
    for (const flag of NAMESPACE_FLAGS)
      syscalls.push({
        names: ['clone'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: EPERM,
        args: [{ index: 0, value: flag, valueTwo: flag, op: 'SCMP_CMP_MASKED_EQ' }],
      });
    syscalls.push({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS });
  }
  return {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls,
  };
}
