// The runtime's own vocabulary: what a caller asks for (ContainerSpec) and what it gets back. Plain data;
// the agent maps a task's ServiceSpec onto a ContainerSpec.
import type { SeccompProfile } from '@tsstack/model';

export type RootfsSpec =
  /** Overlay of image snapshot dirs (top-most first, as overlayfs `lowerdir`) plus this container's own upper/work. */
  | { lowerDirs: string[]; upperDir: string; workDir: string }
  /** A plain directory used as it is. */
  | { path: string };

export type NetworkMode =
  /** A fresh network namespace with only loopback. */
  | { mode: 'none' }
  /** The caller's own network namespace. */
  | { mode: 'host' }
  /** Join a namespace prepared beforehand (libs/network), by its path. */
  | { mode: 'netns'; path: string };

export type ContainerMount =
  | {
      type: 'bind';
      source: string;
      target: string;
      readOnly?: boolean;
      propagation?: string;
      recursive?: boolean;
    }
  | { type: 'tmpfs'; target: string; sizeBytes?: number; mode?: number; readOnly?: boolean };

export interface IdMapping {
  containerId: number;
  hostId: number;
  size: number;
}

export interface ContainerResources {
  memoryBytes?: number;
  memoryReservationBytes?: number;
  /** Memory plus swap, as Compose's memswap_limit; -1 = unlimited swap. */
  memorySwapBytes?: number;
  nanoCpus?: number;
  cpuShares?: number;
  cpuset?: string;
  /** > 0 a limit; 0 or -1 = unlimited (pids.max "max"), as Docker's --pids-limit. */
  pidsLimit?: number;
  /** 10..1000, as Compose's blkio_config.weight. */
  ioWeight?: number;
}

export interface ContainerSpec {
  /** [A-Za-z0-9][A-Za-z0-9_.-]{0,63}; unique within the runtime's state root. */
  id: string;
  rootfs: RootfsSpec;
  readonlyRootfs?: boolean;
  process: {
    args: string[];
    env?: Record<string, string>;
    cwd?: string;
    /** name, uid, name:group or uid:gid, resolved against the image's /etc/passwd and /etc/group. */
    user?: string;
    groupAdd?: string[];
    umask?: number;
    tty?: boolean;
  };
  hostname?: string;
  network?: NetworkMode;
  mounts?: ContainerMount[];
  resources?: ContainerResources;
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
  /** Default true, as tsstack's security default. */
  noNewPrivileges?: boolean;
  /**
   * Default 'default': tsstack's allowlist (libs/runtime/src/seccomp/default-profile.ts, Docker's behaviour);
   * 'unconfined' none; or a Docker-format profile (`security_opt: [seccomp=FILE]`).
   */
  seccomp?: 'default' | 'unconfined' | { profile: SeccompProfile };
  sysctls?: Record<string, string>;
  ulimits?: Record<string, { soft: number; hard: number }>;
  /** Host device nodes to expose, e.g. { source: '/dev/fuse', target: '/dev/fuse', permissions: 'rwm' }. */
  devices?: Array<{ source: string; target: string; permissions: string }>;
  /** Device cgroup rules as Compose's device_cgroup_rules ("c 1:3 rwm"). */
  deviceCgroupRules?: string[];
  /** A minimal init as PID 1: reaps zombies, forwards signals. */
  init?: boolean;
  /** Compose `pid: host`: no PID namespace of its own. */
  hostPid?: boolean;
  userns?: { uidMappings: IdMapping[]; gidMappings: IdMapping[] };
  labels?: Record<string, string>;
  log?: { maxSizeBytes?: number; maxFile?: number };
}

export type ContainerStatus = 'created' | 'running' | 'stopped' | 'unknown';

export interface ExitStatus {
  exitCode: number;
  signal?: string;
  oomKilled: boolean;
  finishedAt: number;
}

export interface ContainerInfo {
  id: string;
  status: ContainerStatus;
  pid: number;
  shimPid: number;
  createdAt: number;
  startedAt?: number;
  labels: Record<string, string>;
  exit?: ExitStatus;
}

export interface ContainerStats {
  cpuUsageNs: number;
  memoryUsageBytes: number;
  /** undefined = no limit. */
  memoryLimitBytes?: number;
  pids: number;
  readAt: number;
}

export interface LogEntry {
  stream: 'stdout' | 'stderr';
  time: string;
  line: string;
  partial?: boolean;
}

export interface LogOptions {
  follow?: boolean;
  /** Only entries at or after this time (ms since epoch). */
  since?: number;
  /** Only the last n entries (before following). */
  tail?: number;
  signal?: AbortSignal;
}

export interface ExecOptions {
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** uid[:gid], numeric. */
  user?: string;
  tty?: boolean;
  /** With tty: the terminal's first size (else 0x0, which most programs read as 80x24). */
  size?: TerminalSize;
}

export interface TerminalSize {
  rows: number;
  cols: number;
}

export interface ProcessRow {
  /** Host pid. */
  pid: number;
  ppid: number;
  uid: number;
  state: string;
  command: string;
}
