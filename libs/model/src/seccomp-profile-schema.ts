// The zod schema of a Docker-format seccomp profile (see seccomp-profile.ts, which loads this module only when
// a profile is checked: zod is not part of loading libs/model).
import { z } from 'zod';
import { SECCOMP_ACTIONS, SECCOMP_FLAGS, SECCOMP_OPS, type SeccompProfile } from './seccomp-profile';

const MAX_NAMES = 4096;
const zErrno = z.number().int().min(0).max(4095);
const zArch = z.string().regex(/^SCMP_ARCH_[A-Z0-9_]{1,24}$/, 'an architecture like SCMP_ARCH_X86_64');
const zSyscallName = z.string().regex(/^[a-z_][a-z0-9_]{0,63}$/, 'a syscall name like openat');
const zKernel = z.string().regex(/^\d{1,4}\.\d{1,4}(\.\d{1,4})?$/, 'a kernel version like 5.8');

const zArg = z.object({
  index: z.number().int().min(0).max(5),
  value: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  valueTwo: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  op: z.enum(SECCOMP_OPS),
});

const zFilter = z.object({
  caps: z
    .array(z.string().regex(/^CAP_[A-Z_]{1,32}$/, 'a capability like CAP_SYS_ADMIN'))
    .max(64)
    .optional(),
  arches: z
    .array(z.string().regex(/^[a-z0-9_]{1,24}$/, 'an architecture like amd64'))
    .max(32)
    .optional(),
  minKernel: zKernel.optional(),
});

const zRule = z
  .object({
    name: zSyscallName.optional(),
    names: z.array(zSyscallName).max(1024).optional(),
    action: z.enum(SECCOMP_ACTIONS),
    errnoRet: zErrno.optional(),
    args: z.array(zArg).max(6).nullable().optional(),
    comment: z.string().max(4096).optional(),
    includes: zFilter.optional(),
    excludes: zFilter.optional(),
  })
  .refine((r) => !(r.name && r.names?.length), "use either 'name' or 'names', not both")
  .refine((r) => !r.excludes?.minKernel, 'excludes.minKernel is not supported (Docker refuses it too)');

const zProfile = z
  .object({
    defaultAction: z.enum(SECCOMP_ACTIONS),
    defaultErrnoRet: zErrno.optional(),
    architectures: z.array(zArch).max(16).optional(),
    archMap: z
      .array(
        z.object({ architecture: zArch, subArchitectures: z.array(zArch).max(16).nullable().optional() }),
      )
      .max(32)
      .optional(),
    syscalls: z.array(zRule).max(2048).optional(),
    flags: z.array(z.enum(SECCOMP_FLAGS)).max(8).optional(),
    listenerPath: z.string().max(0, 'seccomp notify (listenerPath) is not supported by tsstack').optional(),
  })
  .refine(
    (p) => !(p.architectures?.length && p.archMap?.length),
    "use either 'architectures' or 'archMap', not both",
  )
  // Docker's default names about 400; a filter the kernel takes (4096 instructions) holds far fewer than this.
  .refine(
    (p) => (p.syscalls ?? []).reduce((n, r) => n + (r.names?.length ?? 1), 0) <= MAX_NAMES,
    `at most ${MAX_NAMES} syscall names in all`,
  );

/** See parseSeccompProfile (its result type keeps this schema and the declared shape in step). */
export function checkSeccompProfile(value: unknown): { profile?: SeccompProfile; problems: string[] } {
  const r = zProfile.safeParse(value);
  if (r.success) return { profile: r.data, problems: [] };
  return {
    problems: r.error.issues.map((i) => {
      const at = i.path.map((p, n) => (typeof p === 'number' ? `[${p}]` : n ? `.${String(p)}` : String(p)));
      return `${at.join('') || '(profile)'}: ${i.message}`;
    }),
  };
}
