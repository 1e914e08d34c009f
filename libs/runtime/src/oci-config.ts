// Builds the OCI-style config.json the native core consumes, as plain data, from a ContainerSpec and what
// was resolved on the host (user ids, device numbers, cgroup version). Pure: tested without root.
import {
  ALL_CAPABILITIES,
  DEFAULT_CAPABILITIES,
  DEFAULT_DEVICE_RULES,
  MASKED_PATHS,
  READONLY_PATHS,
} from './security-defaults';
import type { DeviceRule } from './security-defaults';
import { parseDeviceCgroupRule } from './security-defaults';
import { parseSeccompProfile } from '@tsstack/model';
import { defaultSeccompProfile } from './seccomp/default-profile';
import { resolveSeccompProfile, type OciSeccomp, type SeccompHost } from './seccomp/resolve-profile';
import { InvalidContainerSpecError } from './errors';
import type { ContainerSpec } from './types';
import type { ResolvedUser } from './user-lookup';

export interface HostDevice {
  target: string;
  type: 'c' | 'b';
  major: number;
  minor: number;
  fileMode: number;
  permissions: string;
}

export interface OciContext {
  user: ResolvedUser;
  cgroupVersion: 1 | 2;
  /** Absolute cgroup path of this container, e.g. /tsstack/<id>. */
  cgroupsPath: string;
  /** Where the core mounts the rootfs (overlay target, or the plain dir). */
  rootPath: string;
  logPath: string;
  devices: HostDevice[];
  /** Capabilities this host lets us give (our bounding set); `privileged` gets all of them. Default: all. */
  availableCapabilities?: readonly string[];
  /** Architecture and kernel the seccomp profile is resolved for; this host's when absent. */
  seccompHost?: SeccompHost;
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const RLIMIT_NAMES = ['as', 'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack']; // prettier-ignore

export function checkContainerSpec(spec: ContainerSpec): void {
  if (!ID_RE.test(spec.id))
    throw new InvalidContainerSpecError('id', `"${spec.id}" must match ${ID_RE.source}`);
  if (!spec.process.args.length)
    throw new InvalidContainerSpecError('process.args', 'needs at least the program to run');
  for (const [i, m] of (spec.mounts ?? []).entries()) {
    if (!m.target.startsWith('/'))
      throw new InvalidContainerSpecError(`mounts[${i}].target`, `"${m.target}" must be absolute`);
    if (m.type === 'bind' && !m.source.startsWith('/'))
      throw new InvalidContainerSpecError(
        `mounts[${i}].source`,
        `"${m.source}" must be an absolute host path`,
      );
  }
  for (const name of Object.keys(spec.ulimits ?? {}))
    if (!RLIMIT_NAMES.includes(name))
      throw new InvalidContainerSpecError(`ulimits.${name}`, 'unknown ulimit');
  for (const cap of [...(spec.capAdd ?? []), ...(spec.capDrop ?? [])])
    if (cap !== 'ALL' && !ALL_CAPABILITIES.includes(capName(cap)))
      throw new InvalidContainerSpecError('cap_add/cap_drop', `unknown capability ${cap}`);
  for (const rule of spec.deviceCgroupRules ?? [])
    if (!parseDeviceCgroupRule(rule))
      throw new InvalidContainerSpecError('device_cgroup_rules', `"${rule}" is not "c|b|a MAJOR:MINOR rwm"`);
  if (typeof spec.seccomp === 'object') {
    const { problems } = parseSeccompProfile(spec.seccomp.profile);
    if (problems.length)
      throw new InvalidContainerSpecError('seccomp', `bad profile: ${problems.join('; ')}`);
  }
}

/** The OCI linux.seccomp of the container: none when privileged or unconfined. */
function seccompOf(spec: ContainerSpec, caps: string[], ctx: OciContext): OciSeccomp | undefined {
  if (spec.privileged || spec.seccomp === 'unconfined') return undefined;
  const profile = typeof spec.seccomp === 'object' ? spec.seccomp.profile : defaultSeccompProfile();
  return resolveSeccompProfile(profile, caps, ctx.seccompHost);
}

export function capName(cap: string): string {
  const upper = cap.toUpperCase();
  return upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
}

export function effectiveCapabilities(
  spec: ContainerSpec,
  available: readonly string[] = ALL_CAPABILITIES,
): string[] {
  if (spec.privileged) return ALL_CAPABILITIES.filter((c) => available.includes(c));
  const add = (spec.capAdd ?? []).map(capName);
  const drop = (spec.capDrop ?? []).map(capName);
  const base = drop.includes('CAP_ALL') ? [] : DEFAULT_CAPABILITIES.filter((c) => !drop.includes(c));
  const added = add.includes('CAP_ALL') ? ALL_CAPABILITIES : add;
  return [...new Set([...base, ...added])];
}

function environment(spec: ContainerSpec, ctx: OciContext): string[] {
  const env: Record<string, string> = { PATH: DEFAULT_PATH, HOSTNAME: spec.hostname ?? spec.id.slice(0, 12) };
  Object.assign(env, spec.process.env ?? {});
  env.HOME ??= ctx.user.home;
  if (spec.process.tty) env.TERM ??= 'xterm';
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

function defaultMounts(spec: ContainerSpec, ctx: OciContext): object[] {
  const sysOptions = ['nosuid', 'noexec', 'nodev', spec.privileged ? 'rw' : 'ro'];
  const mounts: object[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
    },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] }, // prettier-ignore
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
    },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  ];
  mounts.push({ destination: '/sys', type: 'sysfs', source: 'sysfs', options: sysOptions });
  if (ctx.cgroupVersion === 2)
    mounts.push({ destination: '/sys/fs/cgroup', type: 'cgroup2', source: 'cgroup2', options: ['nosuid', 'noexec', 'nodev', 'ro'] }); // prettier-ignore
  return mounts;
}

function userMounts(spec: ContainerSpec): object[] {
  return (spec.mounts ?? []).map((m) => {
    if (m.type === 'bind') {
      const options = [m.recursive === false ? 'bind' : 'rbind', m.readOnly ? 'ro' : 'rw'];
      if (m.propagation) options.push(m.propagation);
      return { destination: m.target, type: 'bind', source: m.source, options };
    }
    const options = ['nosuid', 'nodev', m.readOnly ? 'ro' : 'rw'];
    if (m.sizeBytes) options.push(`size=${m.sizeBytes}`);
    options.push(`mode=${(m.mode ?? 0o1777).toString(8)}`);
    return { destination: m.target, type: 'tmpfs', source: 'tmpfs', options };
  });
}

function namespaces(spec: ContainerSpec): object[] {
  const ns: object[] = [...(spec.hostPid ? [] : ['pid']), 'mount', 'ipc', 'uts', 'cgroup'].map((type) => ({
    type,
  }));
  const net = spec.network ?? { mode: 'none' };
  if (net.mode === 'none') ns.push({ type: 'network' });
  if (net.mode === 'netns') ns.push({ type: 'network', path: net.path });
  if (spec.userns) ns.push({ type: 'user' });
  return ns;
}

function resources(spec: ContainerSpec, ctx: OciContext): object {
  const r = spec.resources ?? {};
  const rules: DeviceRule[] = spec.privileged
    ? [{ allow: true, type: 'a', access: 'rwm' }]
    : [
        ...DEFAULT_DEVICE_RULES,
        ...ctx.devices.map((d) => ({
          allow: true,
          type: d.type,
          major: d.major,
          minor: d.minor,
          access: d.permissions,
        })),
        ...(spec.deviceCgroupRules ?? []).map((x) => parseDeviceCgroupRule(x) as DeviceRule),
      ];
  const out: Record<string, unknown> = { devices: rules };
  const memory: Record<string, number> = {};
  if (r.memoryBytes) memory.limit = r.memoryBytes;
  if (r.memoryReservationBytes) memory.reservation = r.memoryReservationBytes;
  if (r.memorySwapBytes && r.memorySwapBytes > 0) memory.swap = r.memorySwapBytes;
  if (Object.keys(memory).length) out.memory = memory;
  const cpu: Record<string, number | string> = {};
  if (r.nanoCpus) {
    cpu.period = 100000;
    cpu.quota = Math.round((r.nanoCpus / 1e9) * 100000);
  }
  if (r.cpuShares) cpu.shares = r.cpuShares;
  if (r.cpuset) cpu.cpus = r.cpuset;
  if (Object.keys(cpu).length) out.cpu = cpu;
  if (r.pidsLimit !== undefined) out.pids = { limit: r.pidsLimit > 0 ? r.pidsLimit : 0 };
  if (r.ioWeight) out.blockIO = { weight: r.ioWeight };
  return out;
}

export function buildOciConfig(spec: ContainerSpec, ctx: OciContext): Record<string, unknown> {
  checkContainerSpec(spec);
  const caps = effectiveCapabilities(spec, ctx.availableCapabilities);
  const rootUser = ctx.user.uid === 0;
  const annotations: Record<string, string> = {
    'io.tsstack.log.path': ctx.logPath,
    'io.tsstack.log.max-size': String(spec.log?.maxSizeBytes ?? 10 * 1024 * 1024),
    'io.tsstack.log.max-file': String(spec.log?.maxFile ?? 3),
  };
  if (spec.init) annotations['io.tsstack.init'] = 'true';
  if ('lowerDirs' in spec.rootfs)
    annotations['io.tsstack.rootfs.overlay'] =
      `lowerdir=${spec.rootfs.lowerDirs.join(':')},upperdir=${spec.rootfs.upperDir},workdir=${spec.rootfs.workDir}`;
  for (const [k, v] of Object.entries(spec.labels ?? {})) annotations[`io.tsstack.label.${k}`] = v;
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: spec.process.tty ?? false,
      user: {
        uid: ctx.user.uid,
        gid: ctx.user.gid,
        additionalGids: ctx.user.additionalGids,
        ...(spec.process.umask !== undefined ? { umask: spec.process.umask } : {}),
      },
      args: spec.process.args,
      env: environment(spec, ctx),
      cwd: spec.process.cwd ?? '/',
      capabilities: {
        bounding: caps,
        effective: rootUser ? caps : [],
        permitted: rootUser ? caps : [],
        inheritable: [],
        ambient: [],
      },
      rlimits: Object.entries(spec.ulimits ?? {}).map(([name, l]) => ({ type: `RLIMIT_${name.toUpperCase()}`, soft: l.soft, hard: l.hard })), // prettier-ignore
      noNewPrivileges: spec.privileged ? false : (spec.noNewPrivileges ?? true),
    },
    root: { path: ctx.rootPath, readonly: spec.readonlyRootfs ?? false },
    hostname: spec.network?.mode === 'host' ? undefined : (spec.hostname ?? spec.id.slice(0, 12)),
    mounts: [...defaultMounts(spec, ctx), ...userMounts(spec)],
    annotations,
    linux: {
      namespaces: namespaces(spec),
      uidMappings: spec.userns?.uidMappings.map((m) => ({
        containerID: m.containerId,
        hostID: m.hostId,
        size: m.size,
      })),
      gidMappings: spec.userns?.gidMappings.map((m) => ({
        containerID: m.containerId,
        hostID: m.hostId,
        size: m.size,
      })),
      sysctl: spec.sysctls ?? {},
      maskedPaths: spec.privileged ? [] : MASKED_PATHS,
      readonlyPaths: spec.privileged ? [] : READONLY_PATHS,
      devices: ctx.devices.map((d) => ({ path: d.target, type: d.type, major: d.major, minor: d.minor, fileMode: d.fileMode, uid: 0, gid: 0 })), // prettier-ignore
      cgroupsPath: ctx.cgroupsPath,
      resources: resources(spec, ctx),
      seccomp: seccompOf(spec, caps, ctx),
      rootfsPropagation: 'rprivate',
    },
  };
}
