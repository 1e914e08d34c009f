// A Docker-format seccomp profile resolved for one container on one host, as Docker resolves it: rules whose
// `includes` (architectures, capabilities, minimum kernel) do not all hold or whose `excludes` match are
// dropped; `archMap` becomes the list of architectures of this host's entry. The result is the OCI
// `linux.seccomp` the native core compiles (native/src/core/seccomp.c).
import * as os from 'node:os';
import type { SeccompProfile, SeccompRule } from '@tsstack/model';

export interface SeccompHost {
  /** Node's process.arch (x64, arm64, ...). */
  arch: string;
  /** The kernel release, as os.release() gives it (6.1.0-18-amd64). */
  kernel: string;
}

export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  syscalls: Array<Pick<SeccompRule, 'names' | 'action' | 'errnoRet' | 'args'>>;
}

/** Node's architecture -> [Docker's name in `arches`, the libseccomp architecture]. */
const ARCHES: Record<string, [string, string]> = {
  x64: ['amd64', 'SCMP_ARCH_X86_64'],
  arm64: ['arm64', 'SCMP_ARCH_AARCH64'],
  ia32: ['x86', 'SCMP_ARCH_X86'],
  arm: ['arm', 'SCMP_ARCH_ARM'],
  riscv64: ['riscv64', 'SCMP_ARCH_RISCV64'],
  s390x: ['s390x', 'SCMP_ARCH_S390X'],
  ppc64: ['ppc64le', 'SCMP_ARCH_PPC64LE'],
  loong64: ['loongarch64', 'SCMP_ARCH_LOONGARCH64'],
};

export function currentSeccompHost(): SeccompHost {
  return { arch: process.arch, kernel: os.release() };
}

function kernelAtLeast(kernel: string, min: string): boolean {
  const have = (/^(\d+)\.(\d+)(?:\.(\d+))?/.exec(kernel) ?? []).slice(1).map((x) => Number(x ?? 0));
  const want = min.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const a = have[i] ?? 0;
    const b = want[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

function applies(rule: SeccompRule, caps: ReadonlySet<string>, arch: string, kernel: string): boolean {
  const ex = rule.excludes;
  if (ex?.arches?.includes(arch)) return false;
  if (ex?.caps?.some((c) => caps.has(c))) return false;
  const inc = rule.includes;
  if (inc?.arches?.length && !inc.arches.includes(arch)) return false;
  if (inc?.caps?.some((c) => !caps.has(c))) return false;
  if (inc?.minKernel && !kernelAtLeast(kernel, inc.minKernel)) return false;
  return true;
}

export function resolveSeccompProfile(
  profile: SeccompProfile,
  capabilities: readonly string[],
  host: SeccompHost = currentSeccompHost(),
): OciSeccomp {
  const [arch, native] = ARCHES[host.arch] ?? [host.arch, ''];
  const caps = new Set(capabilities);
  const entry = profile.archMap?.find((a) => a.architecture === native);
  const architectures = profile.architectures?.length
    ? profile.architectures
    : entry
      ? [entry.architecture, ...(entry.subArchitectures ?? [])]
      : undefined;
  const syscalls = (profile.syscalls ?? [])
    .filter((r) => applies(r, caps, arch, host.kernel))
    .map((r) => ({
      names: r.name ? [r.name] : (r.names ?? []),
      action: r.action,
      ...(r.errnoRet !== undefined ? { errnoRet: r.errnoRet } : {}),
      ...(r.args?.length ? { args: r.args } : {}),
    }))
    .filter((r) => r.names.length);
  return {
    defaultAction: profile.defaultAction,
    ...(profile.defaultErrnoRet !== undefined ? { defaultErrnoRet: profile.defaultErrnoRet } : {}),
    ...(architectures ? { architectures } : {}),
    ...(profile.flags?.length ? { flags: profile.flags } : {}),
    syscalls,
  };
}
