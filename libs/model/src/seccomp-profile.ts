// Seccomp profiles in Docker's format, the one of moby's default.json and of `security_opt: [seccomp=FILE]`:
// a default action, syscall rules with argument filters, and rules that apply only on some architectures,
// kernels or capability sets (`includes`/`excludes`), plus `archMap` (the architectures a filter covers on
// each host architecture). tsstack's own default profile is written in this format too, and both go through
// the same resolution (libs/runtime) into the OCI form the native core compiles. Pure: the shape and its
// checks only (seccomp-profile-schema.ts).
export const SECCOMP_ACTIONS = [
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_LOG',
  'SCMP_ACT_ALLOW',
] as const;
export type SeccompAction = (typeof SECCOMP_ACTIONS)[number];

export const SECCOMP_OPS = [
  'SCMP_CMP_NE',
  'SCMP_CMP_LT',
  'SCMP_CMP_LE',
  'SCMP_CMP_EQ',
  'SCMP_CMP_GE',
  'SCMP_CMP_GT',
  'SCMP_CMP_MASKED_EQ',
] as const;

export const SECCOMP_FLAGS = [
  'SECCOMP_FILTER_FLAG_TSYNC',
  'SECCOMP_FILTER_FLAG_LOG',
  'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
] as const;

export type SeccompOp = (typeof SECCOMP_OPS)[number];

export interface SeccompArg {
  /** 0..5 */
  index: number;
  value: number;
  valueTwo?: number;
  op: SeccompOp;
}

/** Docker's `includes`/`excludes`: architectures (Docker's names: amd64, arm64...), capabilities, kernel. */
export interface SeccompFilter {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}

export interface SeccompRule {
  name?: string;
  names?: string[];
  action: SeccompAction;
  errnoRet?: number;
  args?: SeccompArg[] | null;
  comment?: string;
  includes?: SeccompFilter;
  excludes?: SeccompFilter;
}

export interface SeccompProfile {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: Array<{ architecture: string; subArchitectures?: string[] | null }>;
  syscalls?: SeccompRule[];
  flags?: Array<(typeof SECCOMP_FLAGS)[number]>;
  listenerPath?: string;
}

let schema: typeof import('./seccomp-profile-schema') | undefined;

/**
 * The profile, or every problem found as `field: message` (e.g. `syscalls[3].action: ...`). Loads its schema
 * (zod) on first use.
 */
export function parseSeccompProfile(value: unknown): { profile?: SeccompProfile; problems: string[] } {
  schema ??= require('./seccomp-profile-schema') as typeof import('./seccomp-profile-schema'); // eslint-disable-line @typescript-eslint/no-require-imports
  return schema.checkSeccompProfile(value);
}
