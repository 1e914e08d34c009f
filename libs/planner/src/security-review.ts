// Which settings of a service weaken its isolation from the host, and why: the one decision behind the CLI's
// warnings (`tsstack plan`/`up`) and the controller's strict policy (`tsstack controller --policy strict`,
// which refuses them). Pure. Compose accepts all of these; tsstack names them.
import type { MountSpec, ServiceSpec, StackSpec } from '@tsstack/model';

export interface RiskySetting {
  /** The Compose field, e.g. `privileged`, `cap_add`, `volumes[2]`. */
  field: string;
  /** What the setting is, e.g. `cap_add: SYS_ADMIN`. */
  setting: string;
  /** Why it weakens isolation. */
  reason: string;
}

export interface ServiceRisks {
  service: string;
  risks: RiskySetting[];
}

/** Host paths whose bind (or a bind of a directory above them) hands the container the host. */
export const SENSITIVE_HOST_PATHS: Record<string, string> = {
  '/': 'the whole host file system',
  '/etc': 'host configuration and credentials (shadow, sudoers, ssh keys)',
  '/root': "root's home (keys, shell history)",
  '/boot': 'the kernel and boot loader',
  '/proc': "the host's processes and kernel settings",
  '/sys': 'kernel and device settings',
  '/dev': 'every host device',
  '/lib/modules': 'kernel modules',
  '/var/lib/tsstack': "tsstack's own state: tokens, keys, every container's files",
  '/run/tsstack': "tsstack's runtime state: namespaces, shims' control sockets",
  '/var/run/tsstack': "tsstack's runtime state: namespaces, shims' control sockets",
  '/var/lib/docker': "Docker's state",
  '/var/lib/containerd': "containerd's state",
  '/var/lib/kubelet': "the kubelet's state and secrets",
  '/run/containerd': "containerd's control socket",
  '/var/run/docker.sock': 'the Docker API: root on the host',
  '/run/docker.sock': 'the Docker API: root on the host',
  '/run/podman/podman.sock': 'the Podman API: root on the host',
  '/run/crio/crio.sock': 'the CRI-O API: root on the host',
};

/** Capabilities that open a way out of the container (beyond Docker's default 14). */
const RISKY_CAPABILITIES: Record<string, string> = {
  ALL: 'every capability: the container can do what root on the host does',
  SYS_ADMIN: 'mount, namespaces, bpf and many kernel interfaces: the usual way out of a container',
  SYS_MODULE: 'loads kernel modules into the host kernel',
  SYS_RAWIO: 'raw I/O ports and memory of the host',
  SYS_PTRACE: "traces and reads the memory of processes it can see (with pid: host, the host's)",
  DAC_READ_SEARCH: 'open_by_handle_at reads any host file (the "shocker" escape)',
  SYS_TIME: "sets the host's clock",
  BPF: 'loads BPF programs into the host kernel',
  PERFMON: 'traces the host kernel',
  SYSLOG: "reads the host kernel's log (addresses included)",
  MAC_ADMIN: 'changes the host’s LSM policy',
  MAC_OVERRIDE: 'overrides the host’s LSM policy',
};

/** Device nodes that give the raw disks, memory or I/O ports of the host. */
const RAW_DEVICE =
  /^\/dev\/(mem|kmem|port|(sd|hd|vd|xvd)[a-z]+\d*|nvme\d|mmcblk\d|loop\d|dm-\d|md\d|sg\d|nbd\d|mapper\/|disk\/|cpu\/|bus\/)/;

const capName = (c: string) => c.toUpperCase().replace(/^CAP_/, '');

/** `p` normalized: absolute, no `.`/`..` parts, no trailing slash. */
export function normalizeHostPath(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (!part || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

const within = (p: string, root: string) => p === root || p.startsWith(root === '/' ? '/' : `${root}/`);

/** Why binding `source` into a container is dangerous, or undefined when it is not. */
export function sensitiveHostPath(source: string, extra: readonly string[] = []): string | undefined {
  const p = normalizeHostPath(source);
  if (p === '/') return SENSITIVE_HOST_PATHS['/'];
  const paths: Array<[string, string]> = [
    ...Object.entries(SENSITIVE_HOST_PATHS).filter(([k]) => k !== '/'),
    ...extra.map((e): [string, string] => [normalizeHostPath(e), "tsstack's own data"]),
  ];
  for (const [root, why] of paths) if (within(p, root)) return why;
  for (const [root, why] of paths) if (within(root, p)) return `it holds ${root}: ${why}`;
  if (/\.sock$/.test(p)) return "a daemon's control socket: whoever talks to it commands the daemon";
  return undefined;
}

function mountRisk(
  m: MountSpec,
  i: number,
  stack: StackSpec | undefined,
  extra: readonly string[],
): RiskySetting[] {
  let source: string | undefined;
  if (m.type === 'bind') source = m.source;
  else if (m.type === 'volume' && m.source) {
    // A local volume with `o: bind` and a device is a bind mount by another name.
    const opts = stack?.volumes[m.source]?.driverOpts ?? {};
    if ((opts.o ?? '').split(',').includes('bind') && opts.device) source = opts.device;
  }
  const why = source === undefined ? undefined : sensitiveHostPath(source, extra);
  return why ? [{ field: `volumes[${i}]`, setting: `${source}:${m.target}`, reason: why }] : [];
}

/** Every setting of `service` that weakens its isolation, in field order. `protectedPaths`: more host paths
 * to treat as tsstack's own (the controller's data dir, an agent's state dir). */
export function riskySettings(
  service: ServiceSpec,
  stack?: StackSpec,
  protectedPaths: readonly string[] = [],
): RiskySetting[] {
  const out: RiskySetting[] = [];
  if (service.privileged)
    out.push({ field: 'privileged', setting: 'privileged: true', reason: 'every capability and device, no seccomp filter, no masked paths: root on the host' }); // prettier-ignore
  for (const cap of service.capAdd) {
    const why = RISKY_CAPABILITIES[capName(cap)];
    if (why) out.push({ field: 'cap_add', setting: `cap_add: ${capName(cap)}`, reason: why });
  }
  if (service.networkMode === 'host')
    out.push({ field: 'network_mode', setting: 'network_mode: host', reason: "the host's network: its interfaces, every host port and the services on its 127.0.0.1" }); // prettier-ignore
  if (service.pidMode === 'host')
    out.push({ field: 'pid', setting: 'pid: host', reason: 'sees and signals every process of the host' });
  service.volumes.forEach((m, i) => out.push(...mountRisk(m, i, stack, protectedPaths)));
  service.devices.forEach((d, i) => {
    const p = normalizeHostPath(d.source);
    if (p === '/dev' || RAW_DEVICE.test(p))
      out.push({ field: `devices[${i}]`, setting: `devices: ${d.source}`, reason: 'a raw disk, memory or I/O device of the host' }); // prettier-ignore
  });
  service.deviceCgroupRules.forEach((r, i) => {
    const [type, , access = ''] = r.trim().split(/\s+/);
    if ((type === 'a' || type === 'b') && /[rw]/.test(access))
      out.push({ field: `device_cgroup_rules[${i}]`, setting: `device_cgroup_rules: ${r}`, reason: 'with mknod (a default capability) the container can open host block devices' }); // prettier-ignore
  });
  if (service.securityOpt.some((o) => /^seccomp[=:]unconfined$/.test(o)))
    out.push({ field: 'security_opt', setting: 'seccomp=unconfined', reason: 'no seccomp filter: every syscall of the host kernel, io_uring and keyctl included' }); // prettier-ignore
  return out;
}

/** The services of a stack that have risky settings, each with its list. */
export function reviewStack(stack: StackSpec, protectedPaths: readonly string[] = []): ServiceRisks[] {
  return Object.values(stack.services)
    .map((s) => ({ service: s.name, risks: riskySettings(s, stack, protectedPaths) }))
    .filter((r) => r.risks.length);
}
