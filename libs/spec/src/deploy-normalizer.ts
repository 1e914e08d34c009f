// libs/spec: a service's `deploy:` section -> DeploySpec with Swarm's defaults (update/rollback config,
// restart policy), and the resource limits, merged with the top-level mem_limit/cpus/pids_limit & co. (which
// Swarm ignores and tsstack honours; when both are set they must agree).
import {
  DEFAULT_RESTART_POLICY,
  DEFAULT_UPDATE_CONFIG,
  type DeploySpec,
  type ResourceSpec,
  type RestartPolicy,
  type UpdateConfig,
} from '@tsstack/model';
import { z } from 'zod';
import { NESTED_FIELDS } from './compose-fields';
import type { PathSeg, Tree } from './source-locations';
import { parseBytes, parseDurationMs, parseNanoCpus } from './units';
import { Checker, toStringMap, zInt, zListOrMap, zNumber, zStrList, zUint } from './value-schemas';

const MODES = ['replicated', 'global', 'replicated-job', 'global-job'] as const;
const CONSTRAINT =
  /^\s*(node\.(id|hostname|role|platform\.os|platform\.arch|labels\.[^\s=!]+)|engine\.labels\.[^\s=!]+)\s*(==|!=)\s*\S.*$/;

const Z_MODE = z.enum(MODES);
const Z_ENDPOINT = z.enum(['vip', 'dnsrr']);
const Z_ORDER = z.enum(['stop-first', 'start-first']);
const Z_RATIO = zNumber.pipe(z.number().min(0).max(1));
const Z_CONDITION = z.enum(['none', 'on-failure', 'any']);
const Z_CPUSET = z.string().regex(/^\d+(-\d+)?(,\d+(-\d+)?)*$/, 'cpuset: use a CPU list such as "0-2,4"');
const Z_WEIGHT = zInt.pipe(z.number().min(10).max(1000));
const UPDATE_ACTIONS = ['pause', 'continue', 'rollback'] as const;
const ROLLBACK_ACTIONS = ['pause', 'continue'] as const;
const Z_UPDATE_ACTION = z.enum(UPDATE_ACTIONS);
const Z_ROLLBACK_ACTION = z.enum(ROLLBACK_ACTIONS);
const Z_PREFERENCES = z.array(
  z.object({
    spread: z.string().regex(/^(node\.labels\.|engine\.labels\.)\S+$/, 'spread takes node.labels.<key>'),
  }),
);

export function normalizeDeploy(
  c: Checker,
  raw: unknown,
  path: PathSeg[],
  scale: number | undefined,
): DeploySpec {
  const d: DeploySpec = {
    mode: 'replicated',
    replicas: scale ?? 1,
    endpointMode: 'vip',
    placement: { constraints: [], preferences: [] },
    updateConfig: { ...DEFAULT_UPDATE_CONFIG },
    rollbackConfig: { ...DEFAULT_UPDATE_CONFIG },
    restartPolicy: { ...DEFAULT_RESTART_POLICY },
    labels: {},
  };
  if (raw === undefined || raw === null) return d;
  const m = c.mapping(raw, path, NESTED_FIELDS.deploy);
  if (!m) return d;
  if (m.mode !== undefined) {
    const mode = c.check(Z_MODE, m.mode, [...path, 'mode'], `one of ${MODES.join(', ')}`);
    if (mode) d.mode = mode;
  }
  if (m.replicas !== undefined) {
    const r = c.check(zUint, m.replicas, [...path, 'replicas'], 'a number of replicas (0 or more)');
    if (r !== undefined) d.replicas = r;
    if (scale !== undefined && r !== undefined && r !== scale)
      c.error([...path, 'replicas'], `deploy.replicas ${r} contradicts scale: ${scale}; keep one`);
    if (d.mode === 'global' || d.mode === 'global-job')
      c.error([...path, 'replicas'], `replicas cannot be set with mode: ${d.mode}`);
  }
  if (m.endpoint_mode !== undefined) {
    const e = c.check(Z_ENDPOINT, m.endpoint_mode, [...path, 'endpoint_mode'], 'vip or dnsrr');
    if (e) d.endpointMode = e;
  }
  if (m.labels !== undefined)
    d.labels = toStringMap(
      c.check(zListOrMap, m.labels, [...path, 'labels'], 'a list of KEY=VALUE or a mapping'),
    );
  if (m.placement !== undefined) placement(c, m.placement, [...path, 'placement'], d);
  if (m.update_config !== undefined)
    d.updateConfig = updateConfig(c, m.update_config, [...path, 'update_config'], 'deploy.update_config');
  if (m.rollback_config !== undefined)
    d.rollbackConfig = updateConfig(
      c,
      m.rollback_config,
      [...path, 'rollback_config'],
      'deploy.rollback_config',
    );
  if (m.restart_policy !== undefined)
    d.restartPolicy = restartPolicy(c, m.restart_policy, [...path, 'restart_policy']);
  return d;
}

function placement(c: Checker, raw: unknown, path: PathSeg[], d: DeploySpec): void {
  const p = c.mapping(raw, path, NESTED_FIELDS['deploy.placement']);
  if (!p) return;
  const cons =
    p.constraints === undefined
      ? []
      : c.check(zStrList, p.constraints, [...path, 'constraints'], 'a list of constraints');
  (cons ?? []).forEach((s, i) => {
    if (CONSTRAINT.test(s)) d.placement.constraints.push(s.trim());
    else
      c.error(
        [...path, 'constraints', i],
        `invalid constraint "${s}": use node.role|node.hostname|node.id|node.platform.os|node.platform.arch|node.labels.<key>|engine.labels.<key> == or != value`,
      );
  });
  if (p.preferences !== undefined) {
    const prefs = c.check(
      Z_PREFERENCES,
      p.preferences,
      [...path, 'preferences'],
      'a list of {spread: node.labels.<key>}',
    );
    d.placement.preferences = prefs?.map((x) => ({ spread: x.spread })) ?? [];
  }
  if (p.max_replicas_per_node !== undefined) {
    const n = c.check(zUint, p.max_replicas_per_node, [...path, 'max_replicas_per_node'], 'a number');
    if (n !== undefined) d.placement.maxReplicasPerNode = n;
  }
}

function updateConfig(c: Checker, raw: unknown, path: PathSeg[], where: string): UpdateConfig {
  const u = { ...DEFAULT_UPDATE_CONFIG };
  const m = c.mapping(raw, path, NESTED_FIELDS[where.replace(/^deploy\./, 'deploy.')]);
  if (!m) return u;
  if (m.parallelism !== undefined)
    u.parallelism =
      c.check(zUint, m.parallelism, [...path, 'parallelism'], 'a number (0 = all at once)') ?? u.parallelism;
  if (m.delay !== undefined) u.delayMs = c.parsed(parseDurationMs(m.delay), [...path, 'delay']) ?? u.delayMs;
  if (m.monitor !== undefined)
    u.monitorMs = c.parsed(parseDurationMs(m.monitor), [...path, 'monitor']) ?? u.monitorMs;
  if (m.order !== undefined)
    u.order = c.check(Z_ORDER, m.order, [...path, 'order'], 'stop-first or start-first') ?? u.order;
  if (m.failure_action !== undefined) {
    const actions = where.endsWith('rollback_config') ? ROLLBACK_ACTIONS : UPDATE_ACTIONS;
    u.failureAction =
      c.check(
        actions === ROLLBACK_ACTIONS ? Z_ROLLBACK_ACTION : Z_UPDATE_ACTION,
        m.failure_action,
        [...path, 'failure_action'],
        actions.join(', '),
      ) ?? u.failureAction;
  }
  if (m.max_failure_ratio !== undefined) {
    u.maxFailureRatio =
      c.check(Z_RATIO, m.max_failure_ratio, [...path, 'max_failure_ratio'], 'a ratio between 0 and 1') ??
      u.maxFailureRatio;
  }
  return u;
}

function restartPolicy(c: Checker, raw: unknown, path: PathSeg[]): RestartPolicy {
  const r = { ...DEFAULT_RESTART_POLICY };
  const m = c.mapping(raw, path, NESTED_FIELDS['deploy.restart_policy']);
  if (!m) return r;
  if (m.condition !== undefined)
    r.condition =
      c.check(Z_CONDITION, m.condition, [...path, 'condition'], 'none, on-failure or any') ?? r.condition;
  if (m.delay !== undefined) r.delayMs = c.parsed(parseDurationMs(m.delay), [...path, 'delay']) ?? r.delayMs;
  if (m.window !== undefined)
    r.windowMs = c.parsed(parseDurationMs(m.window), [...path, 'window']) ?? r.windowMs;
  if (m.max_attempts !== undefined)
    r.maxAttempts =
      c.check(zUint, m.max_attempts, [...path, 'max_attempts'], 'a number (0 = unlimited)') ?? r.maxAttempts;
  return r;
}

/** Resources from deploy.resources and the service's own mem_limit/cpus/pids_limit/... fields. */
export function normalizeResources(c: Checker, svc: Tree, path: PathSeg[]): ResourceSpec {
  const res: ResourceSpec = { limits: {}, reservations: {} };
  const deploy = svc.deploy && typeof svc.deploy === 'object' ? (svc.deploy as Tree) : {};
  const rPath = [...path, 'deploy', 'resources'];
  const r =
    deploy.resources === undefined
      ? {}
      : (c.mapping(deploy.resources, rPath, NESTED_FIELDS['deploy.resources']) ?? {});
  const limits =
    r.limits === undefined
      ? {}
      : (c.mapping(r.limits, [...rPath, 'limits'], NESTED_FIELDS['deploy.resources.limits']) ?? {});
  const reserv =
    r.reservations === undefined
      ? {}
      : (c.mapping(
          r.reservations,
          [...rPath, 'reservations'],
          NESTED_FIELDS['deploy.resources.reservations'],
        ) ?? {});
  const pick = (
    deployVal: unknown,
    dPath: PathSeg[],
    topKey: string,
    parse: (v: unknown) => { ok: true; value: number } | { ok: false; message: string },
  ): number | undefined => {
    const a = deployVal === undefined ? undefined : c.parsed(parse(deployVal), dPath);
    const b = svc[topKey] === undefined ? undefined : c.parsed(parse(svc[topKey]), [...path, topKey]);
    if (a !== undefined && b !== undefined && a !== b)
      c.error([...path, topKey], `${topKey} contradicts ${dPath.slice(2).join('.')}; keep one`);
    return a ?? b;
  };
  const intOf = (v: unknown): { ok: true; value: number } | { ok: false; message: string } => {
    const r2 = zInt.safeParse(v);
    return r2.success
      ? { ok: true, value: r2.data }
      : { ok: false, message: `expected an integer, got ${JSON.stringify(v)}` };
  };
  set(res.limits, 'nanoCpus', pick(limits.cpus, [...rPath, 'limits', 'cpus'], 'cpus', parseNanoCpus));
  set(
    res.limits,
    'memoryBytes',
    pick(limits.memory, [...rPath, 'limits', 'memory'], 'mem_limit', parseBytes),
  );
  set(res.limits, 'pids', pick(limits.pids, [...rPath, 'limits', 'pids'], 'pids_limit', intOf));
  set(
    res.reservations,
    'nanoCpus',
    reserv.cpus === undefined
      ? undefined
      : c.parsed(parseNanoCpus(reserv.cpus), [...rPath, 'reservations', 'cpus']),
  );
  set(
    res.reservations,
    'memoryBytes',
    pick(reserv.memory, [...rPath, 'reservations', 'memory'], 'mem_reservation', parseBytes),
  );
  if (svc.memswap_limit !== undefined) {
    const swap =
      svc.memswap_limit === -1 || svc.memswap_limit === '-1'
        ? -1
        : c.parsed(parseBytes(svc.memswap_limit), [...path, 'memswap_limit']);
    if (swap !== undefined) res.memswapBytes = swap;
  }
  if (svc.cpu_shares !== undefined)
    set(res, 'cpuShares', c.check(zUint, svc.cpu_shares, [...path, 'cpu_shares'], 'a number'));
  if (svc.cpuset !== undefined) {
    const cs = c.check(Z_CPUSET, svc.cpuset, [...path, 'cpuset'], 'a CPU list such as "0-2,4"');
    if (cs) res.cpuset = cs;
  }
  if (svc.blkio_config !== undefined) {
    const b = c.mapping(svc.blkio_config, [...path, 'blkio_config'], NESTED_FIELDS.blkio_config);
    if (b?.weight !== undefined)
      set(
        res,
        'ioWeight',
        c.check(Z_WEIGHT, b.weight, [...path, 'blkio_config', 'weight'], 'a weight between 10 and 1000'),
      );
  }
  return res;
}

function set<T extends object, K extends keyof T>(obj: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) obj[key] = value;
}
