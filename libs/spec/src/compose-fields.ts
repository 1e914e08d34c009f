// libs/spec: every field of the Compose specification, split into what tsstack supports and what it refuses
// with "not supported by tsstack yet"; unknown fields get "did you mean ...". `x-*` extension fields are
// allowed everywhere Compose allows them.

export const TOP_LEVEL_SUPPORTED = [
  'version',
  'name',
  'services',
  'networks',
  'volumes',
  'configs',
  'secrets',
  'include',
];
export const TOP_LEVEL_UNSUPPORTED = ['models'];

export const SERVICE_SUPPORTED = [
  'blkio_config',
  'build',
  'cap_add',
  'cap_drop',
  'command',
  'configs',
  'cpu_shares',
  'cpus',
  'cpuset',
  'depends_on',
  'deploy',
  'device_cgroup_rules',
  'devices',
  'dns',
  'dns_search',
  'domainname',
  'entrypoint',
  'env_file',
  'environment',
  'expose',
  'extends',
  'extra_hosts',
  'group_add',
  'healthcheck',
  'hostname',
  'image',
  'init',
  'labels',
  'logging',
  'mem_limit',
  'mem_reservation',
  'memswap_limit',
  'network_mode',
  'networks',
  'pid',
  'pids_limit',
  'ports',
  'privileged',
  'profiles',
  'pull_policy',
  'read_only',
  'restart',
  'scale',
  'secrets',
  'security_opt',
  'shm_size',
  'stdin_open',
  'stop_grace_period',
  'stop_signal',
  'sysctls',
  'tmpfs',
  'tty',
  'ulimits',
  'user',
  'volumes',
  'working_dir',
];

export const SERVICE_UNSUPPORTED = [
  'annotations',
  'attach',
  'cgroup',
  'cgroup_parent',
  'container_name',
  'cpu_count',
  'cpu_percent',
  'cpu_period',
  'cpu_quota',
  'cpu_rt_period',
  'cpu_rt_runtime',
  'credential_spec',
  'develop',
  'dns_opt',
  'driver_opts',
  'external_links',
  'gpus',
  'ipc',
  'isolation',
  'label_file',
  'links',
  'mac_address',
  'mem_swappiness',
  'models',
  'oom_kill_disable',
  'oom_score_adj',
  'platform',
  'post_start',
  'pre_stop',
  'provider',
  'pull_refresh_after',
  'runtime',
  'storage_opt',
  'use_api_socket',
  'userns_mode',
  'uts',
  'volumes_from',
];

/** Supported and refused sub-fields of nested Compose mappings, by their place. */
export const NESTED_FIELDS: Record<string, { supported: string[]; unsupported: string[] }> = {
  build: {
    supported: ['context', 'dockerfile', 'args', 'target', 'labels'],
    unsupported: [
      'additional_contexts',
      'cache_from',
      'cache_to',
      'dockerfile_inline',
      'entitlements',
      'extra_hosts',
      'isolation',
      'network',
      'no_cache',
      'platforms',
      'privileged',
      'provenance',
      'pull',
      'sbom',
      'secrets',
      'shm_size',
      'ssh',
      'tags',
      'ulimits',
    ],
  },
  deploy: {
    supported: [
      'mode',
      'replicas',
      'endpoint_mode',
      'placement',
      'resources',
      'restart_policy',
      'update_config',
      'rollback_config',
      'labels',
    ],
    unsupported: [],
  },
  'deploy.placement': { supported: ['constraints', 'preferences', 'max_replicas_per_node'], unsupported: [] },
  'deploy.resources': { supported: ['limits', 'reservations'], unsupported: [] },
  'deploy.resources.limits': { supported: ['cpus', 'memory', 'pids'], unsupported: [] },
  'deploy.resources.reservations': {
    supported: ['cpus', 'memory'],
    unsupported: ['generic_resources', 'devices'],
  },
  'deploy.restart_policy': { supported: ['condition', 'delay', 'max_attempts', 'window'], unsupported: [] },
  'deploy.update_config': {
    supported: ['parallelism', 'delay', 'failure_action', 'monitor', 'max_failure_ratio', 'order'],
    unsupported: [],
  },
  'deploy.rollback_config': {
    supported: ['parallelism', 'delay', 'failure_action', 'monitor', 'max_failure_ratio', 'order'],
    unsupported: [],
  },
  healthcheck: {
    supported: ['test', 'interval', 'timeout', 'retries', 'start_period', 'start_interval', 'disable'],
    unsupported: [],
  },
  logging: { supported: ['driver', 'options'], unsupported: [] },
  blkio_config: {
    supported: ['weight'],
    unsupported: [
      'weight_device',
      'device_read_bps',
      'device_read_iops',
      'device_write_bps',
      'device_write_iops',
    ],
  },
  port: {
    supported: ['target', 'published', 'host_ip', 'protocol', 'mode'],
    unsupported: ['name', 'app_protocol'],
  },
  volume: {
    supported: ['type', 'source', 'target', 'read_only', 'bind', 'volume', 'tmpfs'],
    unsupported: ['consistency', 'image'],
  },
  'volume.bind': { supported: ['propagation', 'create_host_path'], unsupported: ['selinux', 'recursive'] },
  'volume.volume': { supported: ['nocopy'], unsupported: ['subpath'] },
  'volume.tmpfs': { supported: ['size', 'mode'], unsupported: [] },
  depends_on: { supported: ['condition', 'restart', 'required'], unsupported: [] },
  network_attachment: {
    supported: ['aliases', 'ipv4_address'],
    unsupported: [
      'ipv6_address',
      'link_local_ips',
      'mac_address',
      'driver_opts',
      'priority',
      'gw_priority',
      'interface_name',
    ],
  },
  file_reference: { supported: ['source', 'target', 'uid', 'gid', 'mode'], unsupported: [] },
  env_file: { supported: ['path', 'required', 'format'], unsupported: [] },
  extends: { supported: ['service', 'file'], unsupported: [] },
  include: { supported: ['path', 'env_file', 'project_directory'], unsupported: [] },
  network: {
    supported: [
      'driver',
      'driver_opts',
      'attachable',
      'internal',
      'external',
      'labels',
      'ipam',
      'name',
      'enable_ipv4',
    ],
    unsupported: ['enable_ipv6'],
  },
  ipam: { supported: ['driver', 'config', 'options'], unsupported: [] },
  ipam_config: { supported: ['subnet', 'ip_range', 'gateway'], unsupported: ['aux_addresses'] },
  volume_top: { supported: ['driver', 'driver_opts', 'external', 'labels', 'name'], unsupported: [] },
  config: {
    supported: ['file', 'environment', 'content', 'external', 'labels', 'name'],
    unsupported: ['template_driver'],
  },
  secret: {
    supported: ['file', 'environment', 'external', 'labels', 'name'],
    unsupported: ['driver', 'driver_opts', 'template_driver'],
  },
  ulimit: { supported: ['soft', 'hard'], unsupported: [] },
};

export type FieldVerdict =
  { kind: 'ok' } | { kind: 'unsupported' } | { kind: 'unknown'; suggestion?: string };

/** Judges one key of a mapping whose known fields are `supported` + `unsupported`. */
export function judgeField(
  key: string,
  supported: readonly string[],
  unsupported: readonly string[],
): FieldVerdict {
  if (key.startsWith('x-') || setOf(supported).has(key)) return { kind: 'ok' };
  if (setOf(unsupported).has(key)) return { kind: 'unsupported' };
  return { kind: 'unknown', suggestion: didYouMean(key, [...supported, ...unsupported]) };
}

const fieldSets = new WeakMap<readonly string[], ReadonlySet<string>>();

/** The field list as a set, built once per list (keys are judged for every mapping of every service). */
function setOf(list: readonly string[]): ReadonlySet<string> {
  let set = fieldSets.get(list);
  if (!set) fieldSets.set(list, (set = new Set(list)));
  return set;
}

/** The closest known name within a small edit distance, if any. */
export function didYouMean(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best;
}

export function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 4) return 99;
  let prev = Array.from({ length: b.length + 1 }, (_v, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

export function fieldMessage(key: string, verdict: FieldVerdict): string | undefined {
  if (verdict.kind === 'unsupported')
    return `field "${key}" is not supported by tsstack yet: remove it, or run this file with docker compose`;
  if (verdict.kind === 'unknown') {
    return `unknown field "${key}"${verdict.suggestion ? ` (did you mean "${verdict.suggestion}"?)` : ''}`;
  }
  return undefined;
}
