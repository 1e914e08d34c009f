// The normalized, typed stack model: what libs/spec produces from Compose files and the only shape the rest of
// tsstack sees. Long syntax everywhere; durations in milliseconds, sizes in bytes, CPUs in nano-CPUs.
import type { SeccompProfile } from './seccomp-profile';

export type Protocol = 'tcp' | 'udp';

export interface PortSpec {
  target: number;
  /** Host/ingress port; undefined = none published (an ephemeral one is chosen for host mode). */
  published?: number;
  protocol: Protocol;
  /** ingress: every node forwards to a task (routing mesh); host: only the node running the task. */
  mode: 'ingress' | 'host';
  hostIp?: string;
  /** tsstack extension: serve ingress traffic only from tasks on the receiving node (keeps the client IP). */
  localOnly?: boolean;
}

export type MountSpec =
  | { type: 'volume'; source?: string; target: string; readOnly: boolean; noCopy?: boolean }
  | {
      type: 'bind';
      source: string;
      target: string;
      readOnly: boolean;
      propagation?: string;
      createHostPath: boolean;
    }
  | { type: 'tmpfs'; target: string; readOnly: boolean; sizeBytes?: number; mode?: number };

export interface ServiceNetworkAttachment {
  aliases: string[];
  ipv4Address?: string;
}

export type DependsOnCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface DependsOn {
  condition: DependsOnCondition;
  restart: boolean;
  required: boolean;
}

export interface HealthcheckSpec {
  /** ['NONE'] disables; ['CMD', ...] exec form; ['CMD-SHELL', 'cmd'] shell form. */
  test: string[];
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
  startIntervalMs: number;
}

export interface DeviceSpec {
  source: string;
  target: string;
  permissions: string;
}

export interface Ulimit {
  soft: number;
  hard: number;
}

export interface ResourceSpec {
  limits: { nanoCpus?: number; memoryBytes?: number; pids?: number };
  reservations: { nanoCpus?: number; memoryBytes?: number };
  memswapBytes?: number;
  cpuShares?: number;
  cpuset?: string;
  ioWeight?: number;
}

export interface UpdateConfig {
  parallelism: number;
  delayMs: number;
  order: 'stop-first' | 'start-first';
  monitorMs: number;
  maxFailureRatio: number;
  failureAction: 'pause' | 'continue' | 'rollback';
}

export interface RestartPolicy {
  condition: 'none' | 'on-failure' | 'any';
  delayMs: number;
  /** 0 = unlimited. */
  maxAttempts: number;
  /** 0 = unbounded window. */
  windowMs: number;
}

export interface PlacementSpec {
  constraints: string[];
  preferences: Array<{ spread: string }>;
  maxReplicasPerNode?: number;
}

export interface DeploySpec {
  mode: 'replicated' | 'global' | 'replicated-job' | 'global-job';
  replicas: number;
  endpointMode: 'vip' | 'dnsrr';
  placement: PlacementSpec;
  updateConfig: UpdateConfig;
  rollbackConfig: UpdateConfig;
  restartPolicy: RestartPolicy;
  labels: Record<string, string>;
}

export interface FileReference {
  source: string;
  target: string;
  uid: string;
  gid: string;
  mode: number;
}

export interface BuildSpec {
  context: string;
  dockerfile: string;
  args: Record<string, string>;
  target?: string;
  labels: Record<string, string>;
}

export interface LoggingSpec {
  maxSizeBytes: number;
  maxFile: number;
}

export interface ServiceSpec {
  name: string;
  image: string;
  build?: BuildSpec;
  pullPolicy: 'always' | 'missing' | 'never' | 'build';
  /** undefined = the image's own Entrypoint/Cmd. */
  entrypoint?: string[];
  command?: string[];
  environment: Record<string, string>;
  workingDir?: string;
  user?: string;
  groupAdd: string[];
  hostname?: string;
  domainname?: string;
  labels: Record<string, string>;
  ports: PortSpec[];
  volumes: MountSpec[];
  networks: Record<string, ServiceNetworkAttachment>;
  /** Compose `network_mode`: `host` shares the node's network namespace, `none` gives a loopback only.
   * When set, `networks` is empty. Absent = the service's networks as usual. */
  networkMode?: 'host' | 'none';
  /** Compose `pid: host`: the node's PID namespace. Absent = a private PID namespace. */
  pidMode?: 'host';
  dependsOn: Record<string, DependsOn>;
  healthcheck?: HealthcheckSpec;
  init: boolean;
  privileged: boolean;
  readOnly: boolean;
  capAdd: string[];
  capDrop: string[];
  securityOpt: string[];
  /** The profile of `security_opt: [seccomp=FILE]`, read and checked at load time (Docker's format). */
  seccompProfile?: SeccompProfile;
  devices: DeviceSpec[];
  deviceCgroupRules: string[];
  sysctls: Record<string, string>;
  ulimits: Record<string, Ulimit>;
  shmSizeBytes?: number;
  tmpfs: string[];
  dns: string[];
  dnsSearch: string[];
  extraHosts: Record<string, string>;
  stopSignal?: string;
  stopGracePeriodMs: number;
  /** Compose `restart:`; combined with deploy.restartPolicy by the planner (deploy wins when both are set). */
  restart: 'no' | 'always' | 'on-failure' | 'unless-stopped';
  stdinOpen: boolean;
  tty: boolean;
  configs: FileReference[];
  secrets: FileReference[];
  resources: ResourceSpec;
  deploy: DeploySpec;
  logging: LoggingSpec;
  profiles: string[];
}

export interface IpamConfig {
  subnet?: string;
  ipRange?: string;
  gateway?: string;
}

export interface NetworkSpec {
  name: string;
  driver: 'bridge' | 'overlay';
  internal: boolean;
  attachable: boolean;
  external: boolean;
  ipam: IpamConfig[];
  labels: Record<string, string>;
  driverOpts: Record<string, string>;
}

/** A network with every option at its Compose default (not internal, not attachable, no IPAM, labels or options). */
export function plainNetwork(name: string, driver: NetworkSpec['driver']): NetworkSpec {
  return {
    name,
    driver,
    internal: false,
    attachable: false,
    external: false,
    ipam: [],
    labels: {},
    driverOpts: {},
  };
}

export interface VolumeSpec {
  name: string;
  driver: 'local';
  external: boolean;
  labels: Record<string, string>;
  driverOpts: Record<string, string>;
}

/** A config or secret. `content` is resolved from file/environment/content at load time. */
export interface FileObjectSpec {
  name: string;
  external: boolean;
  /** base64 of the bytes. */
  content?: string;
  labels: Record<string, string>;
}

export interface StackSpec {
  name: string;
  services: Record<string, ServiceSpec>;
  networks: Record<string, NetworkSpec>;
  volumes: Record<string, VolumeSpec>;
  configs: Record<string, FileObjectSpec>;
  secrets: Record<string, FileObjectSpec>;
}

export const DEFAULT_UPDATE_CONFIG: UpdateConfig = {
  parallelism: 1,
  delayMs: 0,
  order: 'stop-first',
  monitorMs: 5000,
  maxFailureRatio: 0,
  failureAction: 'pause',
};

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  condition: 'any',
  delayMs: 5000,
  maxAttempts: 0,
  windowMs: 0,
};
