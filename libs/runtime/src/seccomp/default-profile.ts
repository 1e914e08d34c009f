// tsstack's default seccomp profile, as data in Docker's format (so it takes the same road as a user's
// `seccomp=FILE`). The same behaviour as Docker's default: an allowlist, everything else EPERM (ENOSYS for
// syscalls newer than the profile, see native/src/core/seccomp.h); socket() without AF_ALG and AF_VSOCK;
// personality() only for the Linux personalities; clone() without namespace flags and clone3() ENOSYS unless
// CAP_SYS_ADMIN; calls that need a capability allowed only with it. io_uring, keyctl, userfaultfd, bpf,
// kexec, module loading, mount and namespace calls are not in the base list. Written here by purpose.
import type { SeccompProfile, SeccompRule } from '@tsstack/model';

const EPERM = 1;
const ENOSYS = 38;
const AF_ALG = 38;
const AF_VSOCK = 40;
/** CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET. */
const NAMESPACE_FLAGS = 0x7e020000;

/** Allowed in every container, whatever its capabilities (32-bit and time64 variants included). */
const BASE: Record<string, string[]> = {
  paths: [
    'access', 'faccessat', 'faccessat2', 'chdir', 'fchdir', 'getcwd', 'chmod', 'fchmod', 'fchmodat', 'fchmodat2',
    'chown', 'chown32', 'fchown', 'fchown32', 'fchownat', 'lchown', 'lchown32', 'umask', 'creat', 'open', 'openat',
    'openat2', 'link', 'linkat', 'symlink', 'symlinkat', 'unlink', 'unlinkat', 'rename', 'renameat', 'renameat2',
    'mkdir', 'mkdirat', 'rmdir', 'mknod', 'mknodat', 'readlink', 'readlinkat', 'truncate', 'truncate64',
    'utime', 'utimes', 'utimensat', 'utimensat_time64', 'futimesat', 'name_to_handle_at',
  ],
  metadata: [
    'stat', 'stat64', 'lstat', 'lstat64', 'fstat', 'fstat64', 'fstatat64', 'newfstatat', 'statx', 'statfs',
    'statfs64', 'fstatfs', 'fstatfs64', 'getdents', 'getdents64', 'statmount', 'listmount',
    'getxattr', 'lgetxattr', 'fgetxattr', 'getxattrat', 'setxattr', 'lsetxattr', 'fsetxattr', 'setxattrat',
    'listxattr', 'llistxattr', 'flistxattr', 'listxattrat', 'removexattr', 'lremovexattr', 'fremovexattr',
    'removexattrat',
  ],
  descriptors: [
    'close', 'close_range', 'dup', 'dup2', 'dup3', 'fcntl', 'fcntl64', 'flock', 'ioctl', 'pipe', 'pipe2',
    'memfd_create', 'eventfd', 'eventfd2', 'signalfd', 'signalfd4', 'timerfd_create', 'timerfd_settime',
    'timerfd_settime64', 'timerfd_gettime', 'timerfd_gettime64', 'inotify_init', 'inotify_init1',
    'inotify_add_watch', 'inotify_rm_watch', 'fanotify_mark', 'pidfd_open', 'pidfd_send_signal',
  ],
  io: [
    'read', 'write', 'readv', 'writev', 'pread64', 'pwrite64', 'preadv', 'preadv2', 'pwritev', 'pwritev2', 'lseek',
    '_llseek', 'sendfile', 'sendfile64', 'splice', 'tee', 'vmsplice', 'copy_file_range', 'fadvise64',
    'fadvise64_64', 'readahead', 'fallocate', 'ftruncate', 'ftruncate64', 'fsync', 'fdatasync', 'sync', 'syncfs',
    'sync_file_range', 'cachestat',
    // Linux AIO; io_uring (io_uring_setup, io_uring_enter, io_uring_register) is left out, as in Docker 25+.
    'io_setup', 'io_destroy', 'io_submit', 'io_cancel', 'io_getevents', 'io_pgetevents', 'io_pgetevents_time64',
  ],
  waiting: [
    'poll', 'ppoll', 'ppoll_time64', 'select', '_newselect', 'pselect6', 'pselect6_time64', 'epoll_create',
    'epoll_create1', 'epoll_ctl', 'epoll_ctl_old', 'epoll_wait', 'epoll_wait_old', 'epoll_pwait', 'epoll_pwait2',
    'futex', 'futex_time64', 'futex_waitv', 'futex_wait', 'futex_wake', 'futex_requeue', 'pause', 'nanosleep',
    'clock_nanosleep', 'clock_nanosleep_time64', 'sched_yield',
  ],
  memory: [
    'brk', 'mmap', 'mmap2', 'munmap', 'mremap', 'mprotect', 'madvise', 'mincore', 'msync', 'mlock', 'mlock2',
    'mlockall', 'munlock', 'munlockall', 'membarrier', 'memfd_secret', 'pkey_alloc', 'pkey_free', 'pkey_mprotect',
    'remap_file_pages', 'map_shadow_stack', 'mseal', 'get_thread_area', 'set_thread_area',
  ],
  processes: [
    'fork', 'vfork', 'execve', 'execveat', 'exit', 'exit_group', 'wait4', 'waitid', 'waitpid', 'getpid', 'getppid',
    'gettid', 'getpgid', 'setpgid', 'getpgrp', 'getsid', 'setsid', 'kill', 'tkill', 'tgkill', 'process_mrelease',
    'set_tid_address', 'set_robust_list', 'get_robust_list', 'rseq', 'restart_syscall', 'prctl', 'seccomp',
    'getrandom', 'uname', 'sysinfo', 'times', 'getrusage', 'getrlimit', 'ugetrlimit', 'setrlimit', 'prlimit64',
    'getpriority', 'setpriority', 'ioprio_get', 'ioprio_set', 'getcpu', 'capget', 'capset',
    'landlock_create_ruleset', 'landlock_add_rule', 'landlock_restrict_self', 'riscv_hwprobe', 'uretprobe',
  ],
  scheduling: [
    'sched_getaffinity', 'sched_setaffinity', 'sched_getattr', 'sched_setattr', 'sched_getparam', 'sched_setparam',
    'sched_getscheduler', 'sched_setscheduler', 'sched_get_priority_max', 'sched_get_priority_min',
    'sched_rr_get_interval', 'sched_rr_get_interval_time64',
  ],
  identity: [
    'getuid', 'getuid32', 'geteuid', 'geteuid32', 'getgid', 'getgid32', 'getegid', 'getegid32', 'getresuid',
    'getresuid32', 'getresgid', 'getresgid32', 'getgroups', 'getgroups32', 'setuid', 'setuid32', 'setgid',
    'setgid32', 'setreuid', 'setreuid32', 'setregid', 'setregid32', 'setresuid', 'setresuid32', 'setresgid',
    'setresgid32', 'setfsuid', 'setfsuid32', 'setfsgid', 'setfsgid32', 'setgroups', 'setgroups32',
  ],
  signals: [
    'rt_sigaction', 'rt_sigpending', 'rt_sigprocmask', 'rt_sigqueueinfo', 'rt_sigreturn', 'rt_sigsuspend',
    'rt_sigtimedwait', 'rt_sigtimedwait_time64', 'rt_tgsigqueueinfo', 'sigaltstack', 'sigprocmask', 'sigreturn',
    'alarm', 'getitimer', 'setitimer',
  ],
  clocks: [
    // Reading clocks; setting them needs CAP_SYS_TIME (adjtimex and clock_adjtime check it themselves).
    'clock_gettime', 'clock_gettime64', 'clock_getres', 'clock_getres_time64', 'gettimeofday', 'time', 'adjtimex',
    'clock_adjtime', 'clock_adjtime64', 'timer_create', 'timer_delete', 'timer_getoverrun', 'timer_gettime',
    'timer_gettime64', 'timer_settime', 'timer_settime64',
  ],
  ipc: [
    'ipc', 'msgget', 'msgsnd', 'msgrcv', 'msgctl', 'semget', 'semop', 'semtimedop', 'semtimedop_time64', 'semctl',
    'shmget', 'shmat', 'shmdt', 'shmctl', 'mq_open', 'mq_unlink', 'mq_timedsend', 'mq_timedsend_time64',
    'mq_timedreceive', 'mq_timedreceive_time64', 'mq_notify', 'mq_getsetattr',
  ],
  sockets: [
    // socket() itself is below, without AF_ALG and AF_VSOCK; socketcall is i386's door to all of these.
    'socketpair', 'bind', 'listen', 'accept', 'accept4', 'connect', 'shutdown', 'getsockname', 'getpeername',
    'getsockopt', 'setsockopt', 'send', 'sendto', 'sendmsg', 'sendmmsg', 'recv', 'recvfrom', 'recvmsg', 'recvmmsg',
    'recvmmsg_time64', 'socketcall',
  ],
}; // prettier-ignore

/** Allowed only when the container holds the capability; the kernel checks the capability again. */
const BY_CAPABILITY: Record<string, string[]> = {
  CAP_SYS_ADMIN: [
    'mount', 'umount', 'umount2', 'mount_setattr', 'move_mount', 'open_tree', 'fsopen', 'fsconfig', 'fsmount',
    'fspick', 'unshare', 'setns', 'clone', 'clone3', 'sethostname', 'setdomainname', 'quotactl', 'quotactl_fd',
    'fanotify_init', 'lookup_dcookie', 'bpf', 'perf_event_open', 'syslog', 'lsm_get_self_attr',
    'lsm_set_self_attr', 'lsm_list_modules',
  ],
  CAP_SYS_PTRACE: ['kcmp', 'pidfd_getfd', 'process_madvise', 'process_vm_readv', 'process_vm_writev', 'ptrace'],
  CAP_SYS_MODULE: ['init_module', 'finit_module', 'delete_module'],
  CAP_SYS_TIME: ['settimeofday', 'stime', 'clock_settime', 'clock_settime64'],
  CAP_SYS_NICE: ['get_mempolicy', 'set_mempolicy', 'set_mempolicy_home_node', 'mbind'],
  CAP_SYS_RAWIO: ['iopl', 'ioperm'],
  CAP_DAC_READ_SEARCH: ['open_by_handle_at'],
  CAP_SYS_CHROOT: ['chroot'],
  CAP_SYS_BOOT: ['reboot'],
  CAP_SYS_PACCT: ['acct'],
  CAP_SYS_TTY_CONFIG: ['vhangup'],
  CAP_SYSLOG: ['syslog'],
  CAP_BPF: ['bpf'],
  CAP_PERFMON: ['perf_event_open'],
}; // prettier-ignore

/** Calls that exist only on some architectures (Docker's `arches` names). */
const BY_ARCH: Array<[string[], string[]]> = [
  [['amd64', 'x32'], ['arch_prctl']],
  [['amd64', 'x32', 'x86'], ['modify_ldt']],
  [['arm', 'arm64'], ['arm_fadvise64_64', 'arm_sync_file_range', 'sync_file_range2', 'breakpoint', 'cacheflush', 'set_tls']],
  [['riscv64'], ['riscv_flush_icache']],
]; // prettier-ignore

const allow = (names: string[], extra: Partial<SeccompRule> = {}): SeccompRule => ({
  names,
  action: 'SCMP_ACT_ALLOW',
  ...extra,
});
const argEquals = (value: number) => ({ index: 0, value, op: 'SCMP_CMP_EQ' as const });

function argumentRules(): SeccompRule[] {
  const noSysAdmin = { excludes: { caps: ['CAP_SYS_ADMIN'] } };
  return [
    // socket(): every family but AF_ALG (38) and AF_VSOCK (40).
    allow(['socket'], { args: [{ index: 0, value: AF_ALG, op: 'SCMP_CMP_LT' }] }),
    allow(['socket'], { args: [argEquals(AF_ALG + 1)] }),
    allow(['socket'], { args: [{ index: 0, value: AF_VSOCK, op: 'SCMP_CMP_GT' }] }),
    // personality(): PER_LINUX, PER_LINUX32, UNAME26 alone or with PER_LINUX32, and the query 0xffffffff.
    ...[0x0, 0x8, 0x20000, 0x20008, 0xffffffff].map((v) => allow(['personality'], { args: [argEquals(v)] })),
    // clone() without a namespace flag; with CAP_SYS_ADMIN it is in the capability list above.
    allow(['clone'], {
      args: [{ index: 0, value: NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
      ...noSysAdmin,
    }),
    // clone3() passes its flags in memory, out of a filter's sight: ENOSYS makes libc fall back to clone().
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS, ...noSysAdmin },
    // Since Linux 4.8 a ptrace()d process cannot escape its tracer's filter.
    allow(['ptrace', 'process_vm_readv', 'process_vm_writev'], { includes: { minKernel: '4.8' } }),
  ];
}

/** The profile, in Docker's format; resolve it with resolveSeccompProfile for one container. */
export function defaultSeccompProfile(): SeccompProfile {
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: EPERM,
    archMap: [
      { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
      { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
      { architecture: 'SCMP_ARCH_RISCV64', subArchitectures: [] },
    ],
    syscalls: [
      allow(Object.values(BASE).flat()),
      ...argumentRules(),
      ...BY_ARCH.map(([arches, names]) => allow(names, { includes: { arches } })),
      ...Object.entries(BY_CAPABILITY).map(([cap, names]) => allow(names, { includes: { caps: [cap] } })),
    ],
  };
}
