// libs/spec: one merged, interpolated Compose service -> the model's ServiceSpec (long syntax everywhere,
// durations in ms, sizes in bytes, CPUs in nano-CPUs). Every key is judged: supported, "not supported by
// tsstack yet", or unknown with a suggestion. Cross-service checks live in stack-normalizer.ts.
import type { BuildSpec, MountSpec, ServiceSpec } from '@tsstack/model';
import { z } from 'zod';
import { NESTED_FIELDS, SERVICE_SUPPORTED, SERVICE_UNSUPPORTED } from './compose-fields';
import { normalizeDeploy, normalizeResources } from './deploy-normalizer';
import { parseMount } from './mounts-parser';
import { parsePort } from './ports-parser';
import { securityOptions } from './security-opts';
import * as parts from './service-parts';
import { isPlainObject, type PathSeg, type Tree } from './source-locations';
import { parseBytes, parseDurationMs } from './units';
import { Checker, toStringMap, zBool, zListOrMap, zStr, zUint } from './value-schemas';

export interface ServiceContext {
  projectName: string;
  /** Directory of the first Compose file: the default build context. */
  projectDir: string;
  /** Interpolation variables: a bare `KEY` in environment takes its value from here. */
  lookup: (name: string) => string | undefined;
  /** Reads one env_file entry (path already absolute); undefined when it failed (issue added). */
  readEnvFile: (
    path: string,
    required: boolean,
    format: 'env' | 'raw',
    at: PathSeg[],
  ) => Record<string, string> | undefined;
  /** Reads a side file (absolute path): its bytes, or undefined (issue added). */
  readFile: (path: string, at: PathSeg[]) => Uint8Array | undefined;
}

const SERVICE_FIELDS = { supported: SERVICE_SUPPORTED, unsupported: SERVICE_UNSUPPORTED };
const RESTART = /^(no|always|unless-stopped|on-failure(:\d+)?)$/;
const PULL = {
  always: 'always',
  missing: 'missing',
  if_not_present: 'missing',
  never: 'never',
  build: 'build',
} as const;

const Z_PULL = z.enum(Object.keys(PULL) as [keyof typeof PULL]);
const Z_ENV_FILE = z.union([
  z.string(),
  z.object({ path: z.string(), required: zBool.optional(), format: z.enum(['env', 'raw']).optional() }),
]);

export function normalizeService(
  c: Checker,
  ctx: ServiceContext,
  name: string,
  raw: unknown,
): ServiceSpec | undefined {
  const path: PathSeg[] = ['services', name];
  const s = c.mapping(raw, path, SERVICE_FIELDS);
  if (!s) return undefined;
  const at = (k: string): PathSeg[] => [...path, k];
  const bool = (k: string): boolean =>
    s[k] === undefined || s[k] === null ? false : (c.check(zBool, s[k], at(k), 'true or false') ?? false);
  const str = (k: string): string | undefined =>
    s[k] === undefined || s[k] === null ? undefined : c.check(zStr, s[k], at(k), 'a string');

  const build =
    s.build === undefined || s.build === null
      ? undefined
      : buildSpec(c, s.build, at('build'), ctx.projectDir);
  let image = str('image');
  if (image === undefined && !build) c.error(path, `service "${name}" needs image: or build:`);
  if (image === undefined) image = `${ctx.projectName}-${name}`;
  const scale =
    s.scale === undefined ? undefined : c.check(zUint, s.scale, at('scale'), 'a number of replicas');

  const spec: ServiceSpec = {
    name,
    image,
    pullPolicy: build && s.image === undefined ? 'build' : 'missing',
    environment: environment(c, ctx, s, path),
    groupAdd: parts.strOrList(c, s.group_add, at('group_add')),
    labels: toStringMap(
      s.labels === undefined
        ? undefined
        : c.check(zListOrMap, s.labels, at('labels'), 'a list of KEY=VALUE or a mapping'),
    ),
    ports: concat(list(c, s.ports, at('ports'), parsePort, (o, p) => c.mapping(o, p, NESTED_FIELDS.port))),
    volumes: list(c, s.volumes, at('volumes'), parseMount, (o, p) => judgeVolume(c, o, p)) as MountSpec[],
    networks: parts.networks(c, s.networks, at('networks')),
    dependsOn: parts.dependsOn(c, s.depends_on, at('depends_on')),
    init: bool('init'),
    privileged: bool('privileged'),
    readOnly: bool('read_only'),
    capAdd: parts.strOrList(c, s.cap_add, at('cap_add')),
    capDrop: parts.strOrList(c, s.cap_drop, at('cap_drop')),
    ...securityOptions(c, s.security_opt, at('security_opt'), ctx.readFile),
    devices: parts.devices(c, s.devices, at('devices')),
    deviceCgroupRules: parts.strOrList(c, s.device_cgroup_rules, at('device_cgroup_rules')),
    sysctls: toStringMap(
      s.sysctls === undefined
        ? undefined
        : c.check(zListOrMap, s.sysctls, at('sysctls'), 'a list of KEY=VALUE or a mapping'),
    ),
    ulimits: parts.ulimits(c, s.ulimits, at('ulimits')),
    tmpfs: parts.strOrList(c, s.tmpfs, at('tmpfs')),
    dns: parts.strOrList(c, s.dns, at('dns')),
    dnsSearch: parts.strOrList(c, s.dns_search, at('dns_search')),
    extraHosts: parts.extraHosts(c, s.extra_hosts, at('extra_hosts')),
    stopGracePeriodMs:
      s.stop_grace_period === undefined
        ? 10_000
        : (c.parsed(parseDurationMs(s.stop_grace_period), at('stop_grace_period')) ?? 10_000),
    restart: 'no',
    stdinOpen: bool('stdin_open'),
    tty: bool('tty'),
    configs: parts.fileRefs(c, s.configs, at('configs'), 'config'),
    secrets: parts.fileRefs(c, s.secrets, at('secrets'), 'secret'),
    resources: normalizeResources(c, s, path),
    deploy: normalizeDeploy(c, s.deploy, at('deploy'), scale),
    logging: parts.logging(c, s.logging, at('logging')),
    profiles: parts.strOrList(c, s.profiles, at('profiles')),
  };
  if (build) spec.build = build;
  if (s.pull_policy !== undefined) {
    const p = c.check(
      Z_PULL,
      s.pull_policy,
      at('pull_policy'),
      `one of ${Object.keys(PULL).join(', ')} (daily/weekly/every_<duration> are not supported by tsstack yet)`,
    );
    if (p) spec.pullPolicy = PULL[p];
  }
  const entrypoint = parts.command(c, s.entrypoint, at('entrypoint'));
  if (entrypoint) spec.entrypoint = entrypoint;
  const command = parts.command(c, s.command, at('command'));
  if (command) spec.command = command;
  const healthcheck = parts.healthcheck(c, s.healthcheck, at('healthcheck'));
  if (healthcheck) spec.healthcheck = healthcheck;
  for (const [k, key] of [
    ['working_dir', 'workingDir'],
    ['user', 'user'],
    ['hostname', 'hostname'],
    ['domainname', 'domainname'],
    ['stop_signal', 'stopSignal'],
  ] as const) {
    const v = str(k);
    if (v !== undefined) spec[key] = v;
  }
  namespaceModes(c, s, path, spec);
  if (spec.hostname !== undefined && !parts.DNS_NAME.test(spec.hostname))
    c.error(at('hostname'), `hostname "${spec.hostname}" is not a valid DNS name`);
  if (spec.workingDir !== undefined && !spec.workingDir.startsWith('/'))
    c.error(at('working_dir'), 'working_dir must be an absolute path');
  if (s.shm_size !== undefined) {
    const shm = c.parsed(parseBytes(s.shm_size), at('shm_size'));
    if (shm !== undefined) spec.shmSizeBytes = shm;
  }
  spec.tmpfs.forEach(
    (t, i) =>
      t.startsWith('/') || c.error([...at('tmpfs'), i], `tmpfs "${t}": the container path must be absolute`),
  );
  if (s.restart !== undefined) restart(c, s.restart, at('restart'), spec, s.deploy);
  if (s.expose !== undefined) {
    parts
      .strOrList(c, Array.isArray(s.expose) ? s.expose.map(String) : s.expose, at('expose'))
      .forEach((e, i) => {
        if (!/^\d+(-\d+)?(\/(tcp|udp))?$/.test(e))
          c.error([...at('expose'), i], `expose "${e}": use a port or range with an optional /tcp or /udp`);
      });
  }
  return spec;
}

/** `network_mode: host|none` and `pid: host` (other modes join another container: no such thing in a cluster). */
function namespaceModes(c: Checker, s: Tree, path: PathSeg[], spec: ServiceSpec): void {
  if (s.network_mode !== undefined && s.network_mode !== null) {
    const m = c.check(zStr, s.network_mode, [...path, 'network_mode'], 'host or none');
    if (m === 'host' || m === 'none') {
      if (s.networks !== undefined && s.networks !== null)
        c.error([...path, 'network_mode'], `network_mode: ${m} cannot be combined with networks: remove one`);
      if (m === 'none' && Array.isArray(s.ports) && s.ports.length > 0)
        c.error([...path, 'ports'], 'network_mode: none has no network to publish ports on: remove ports');
      spec.networkMode = m;
      spec.networks = {};
    } else if (m !== undefined) {
      c.error(
        [...path, 'network_mode'],
        `network_mode "${m}" is not supported by tsstack yet (use host, none, or networks:)`,
      );
    }
  }
  if (s.pid !== undefined && s.pid !== null) {
    const p = c.check(zStr, s.pid, [...path, 'pid'], 'host');
    if (p === 'host') spec.pidMode = 'host';
    else if (p !== undefined)
      c.error([...path, 'pid'], `pid "${p}" is not supported by tsstack yet (only pid: host)`);
  }
}

function buildSpec(c: Checker, v: unknown, path: PathSeg[], projectDir: string): BuildSpec | undefined {
  if (typeof v === 'string') return { context: v, dockerfile: 'Dockerfile', args: {}, labels: {} };
  const m = c.mapping(v, path, NESTED_FIELDS.build);
  if (!m) return undefined;
  const b: BuildSpec = {
    context:
      m.context === undefined
        ? projectDir
        : (c.check(zStr, m.context, [...path, 'context'], 'a directory or URL') ?? projectDir),
    dockerfile:
      m.dockerfile === undefined
        ? 'Dockerfile'
        : (c.check(zStr, m.dockerfile, [...path, 'dockerfile'], 'a file name') ?? 'Dockerfile'),
    args: toStringMap(
      m.args === undefined
        ? undefined
        : c.check(zListOrMap, m.args, [...path, 'args'], 'a list of KEY=VALUE or a mapping'),
    ),
    labels: toStringMap(
      m.labels === undefined
        ? undefined
        : c.check(zListOrMap, m.labels, [...path, 'labels'], 'a list of KEY=VALUE or a mapping'),
    ),
  };
  if (m.target !== undefined) b.target = c.check(zStr, m.target, [...path, 'target'], 'a stage name');
  return b;
}

function environment(c: Checker, ctx: ServiceContext, s: Tree, path: PathSeg[]): Record<string, string> {
  const env: Record<string, string> = {};
  if (s.env_file !== undefined && s.env_file !== null) {
    const files = Array.isArray(s.env_file) ? s.env_file : [s.env_file];
    files.forEach((f, i) => {
      const p: PathSeg[] = Array.isArray(s.env_file) ? [...path, 'env_file', i] : [...path, 'env_file'];
      if (typeof f === 'object' && f !== null) c.mapping(f, p, NESTED_FIELDS.env_file);
      const r = c.check(Z_ENV_FILE, f, p, 'a path or {path, required, format}');
      if (!r) return;
      const e = typeof r === 'string' ? { path: r } : r;
      Object.assign(env, ctx.readEnvFile(e.path, e.required ?? true, e.format ?? 'env', p) ?? {});
    });
  }
  if (s.environment !== undefined && s.environment !== null) {
    const lm = c.check(
      zListOrMap,
      s.environment,
      [...path, 'environment'],
      'a list of KEY=VALUE or a mapping',
    );
    Object.assign(
      env,
      toStringMap(lm, (k) => ctx.lookup(k)),
    );
  }
  return env;
}

function restart(c: Checker, v: unknown, path: PathSeg[], spec: ServiceSpec, deploy: unknown): void {
  if (typeof v !== 'string' || !RESTART.test(v)) {
    c.error(path, `restart ${JSON.stringify(v)}: use no, always, on-failure[:max-retries] or unless-stopped`);
    return;
  }
  const [policy, max] = v.split(':') as [ServiceSpec['restart'], string?];
  spec.restart = policy;
  const deployPolicy = deploy && typeof deploy === 'object' && 'restart_policy' in deploy;
  if (!deployPolicy) {
    // Without deploy.restart_policy, `restart:` decides, as users of plain Compose expect.
    spec.deploy.restartPolicy.condition =
      policy === 'no' ? 'none' : policy === 'on-failure' ? 'on-failure' : 'any';
    if (max !== undefined) spec.deploy.restartPolicy.maxAttempts = Number(max);
  }
}

function judgeVolume(c: Checker, o: Tree, p: PathSeg[]): void {
  c.mapping(o, p, NESTED_FIELDS.volume);
  for (const k of ['bind', 'volume', 'tmpfs'] as const) {
    if (o[k] !== undefined && o[k] !== null) c.mapping(o[k], [...p, k], NESTED_FIELDS[`volume.${k}`]);
  }
}

/** `lists.flat()`, without the generic builtin's cost (it showed in profiles of 1000-service stacks). */
function concat<T>(lists: T[][]): T[] {
  const out: T[] = [];
  for (const l of lists) for (const x of l) out.push(x);
  return out;
}

function list<T>(
  c: Checker,
  v: unknown,
  path: PathSeg[],
  parse: (x: unknown) => { ok: true; value: T } | { ok: false; message: string },
  judge: (o: Tree, p: PathSeg[]) => void,
): T[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    c.error(path, 'expected a list');
    return [];
  }
  const out: T[] = [];
  v.forEach((item, i) => {
    if (isPlainObject(item)) judge(item, [...path, i]);
    const r = c.parsed(parse(item), [...path, i]);
    if (r !== undefined) out.push(r);
  });
  return out;
}
