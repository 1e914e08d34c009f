// libs/spec: the smaller service fields -> model parts: healthcheck, depends_on, networks, configs/secrets
// references, devices, ulimits, logging, extra_hosts, commands. Each validates and locates its own issues.
import type {
  DependsOn,
  DeviceSpec,
  FileReference,
  HealthcheckSpec,
  LoggingSpec,
  ServiceNetworkAttachment,
  Ulimit,
} from '@tsstack/model';
import { z } from 'zod';
import { NESTED_FIELDS } from './compose-fields';
import { isIpv4, isIp } from './ports-parser';
import { shellSplit } from './shell-words';
import { isPlainObject, type PathSeg } from './source-locations';
import { parseBytes, parseDurationMs, parseMode } from './units';
import { Checker, zBool, zInt, zListOrMap, zPositiveInt, zStr, zStrList, zUint } from './value-schemas';

export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
export const DNS_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export function command(c: Checker, v: unknown, path: PathSeg[]): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return c.parsed(shellSplit(v), path);
  return c.check(zStrList, v, path, 'a string or a list of strings');
}

export function healthcheck(c: Checker, v: unknown, path: PathSeg[]): HealthcheckSpec | undefined {
  if (v === undefined || v === null) return undefined;
  const m = c.mapping(v, path, NESTED_FIELDS.healthcheck);
  if (!m) return undefined;
  const h: HealthcheckSpec = {
    test: [],
    intervalMs: 30_000,
    timeoutMs: 30_000,
    retries: 3,
    startPeriodMs: 0,
    startIntervalMs: 5_000,
  };
  const disable =
    m.disable === undefined ? false : c.check(zBool, m.disable, [...path, 'disable'], 'true or false');
  if (disable) return { ...h, test: ['NONE'] };
  if (m.test === undefined) {
    c.error(path, 'a healthcheck needs test: (or disable: true)');
    return undefined;
  }
  if (typeof m.test === 'string') h.test = ['CMD-SHELL', m.test];
  else {
    const t = c.check(
      zStrList,
      m.test,
      [...path, 'test'],
      'a string or a list such as ["CMD", "curl", "-f", "http://localhost"]',
    );
    if (!t) return undefined;
    if (!['CMD', 'CMD-SHELL', 'NONE'].includes(t[0] ?? '')) {
      c.error(
        [...path, 'test'],
        `a test list starts with "CMD", "CMD-SHELL" or "NONE", got ${JSON.stringify(t[0] ?? '')}`,
      );
      return undefined;
    }
    if (t[0] === 'CMD-SHELL' && t.length !== 2)
      c.error([...path, 'test'], '"CMD-SHELL" takes exactly one command string');
    h.test = t;
  }
  const dur = (k: string, key: 'intervalMs' | 'timeoutMs' | 'startPeriodMs' | 'startIntervalMs'): void => {
    if (m[k] !== undefined) h[key] = c.parsed(parseDurationMs(m[k]), [...path, k]) ?? h[key];
  };
  dur('interval', 'intervalMs');
  dur('timeout', 'timeoutMs');
  dur('start_period', 'startPeriodMs');
  dur('start_interval', 'startIntervalMs');
  if (m.retries !== undefined)
    h.retries = c.check(zUint, m.retries, [...path, 'retries'], 'a number') ?? h.retries;
  return h;
}

const CONDITIONS = ['service_started', 'service_healthy', 'service_completed_successfully'] as const;

const Z_CONDITIONS = z.enum(CONDITIONS);
const Z_DEVICES = z.array(
  z.union([
    z.string(),
    z.object({ source: z.string(), target: z.string().optional(), permissions: z.string().optional() }),
  ]),
);

export function dependsOn(c: Checker, v: unknown, path: PathSeg[]): Record<string, DependsOn> {
  const out: Record<string, DependsOn> = {};
  if (v === undefined || v === null) return out;
  if (Array.isArray(v)) {
    v.forEach((name, i) => {
      if (typeof name !== 'string') c.error([...path, i], 'expected a service name');
      else out[name] = { condition: 'service_started', restart: false, required: true };
    });
    return out;
  }
  const m = c.mapping(v, path);
  for (const [name, d] of Object.entries(m ?? {})) {
    const dm = c.mapping(d ?? {}, [...path, name], NESTED_FIELDS.depends_on);
    if (!dm) continue;
    out[name] = {
      condition:
        dm.condition === undefined
          ? 'service_started'
          : (c.check(Z_CONDITIONS, dm.condition, [...path, name, 'condition'], CONDITIONS.join(', ')) ??
            'service_started'),
      restart:
        dm.restart === undefined
          ? false
          : (c.check(zBool, dm.restart, [...path, name, 'restart'], 'true or false') ?? false),
      required:
        dm.required === undefined
          ? true
          : (c.check(zBool, dm.required, [...path, name, 'required'], 'true or false') ?? true),
    };
  }
  return out;
}

export function networks(c: Checker, v: unknown, path: PathSeg[]): Record<string, ServiceNetworkAttachment> {
  const out: Record<string, ServiceNetworkAttachment> = {};
  if (v === undefined || v === null) return { default: { aliases: [] } };
  if (Array.isArray(v)) {
    v.forEach((n, i) => {
      if (typeof n !== 'string') c.error([...path, i], 'expected a network name');
      else out[n] = { aliases: [] };
    });
    return out;
  }
  const m = c.mapping(v, path);
  for (const [name, a] of Object.entries(m ?? {})) {
    const am = a === null ? {} : c.mapping(a, [...path, name], NESTED_FIELDS.network_attachment);
    if (!am) continue;
    const att: ServiceNetworkAttachment = { aliases: [] };
    if (am.aliases !== undefined) {
      const al = c.check(zStrList, am.aliases, [...path, name, 'aliases'], 'a list of names') ?? [];
      al.forEach((x, i) =>
        DNS_NAME.test(x)
          ? att.aliases.push(x)
          : c.error([...path, name, 'aliases', i], `alias "${x}" is not a valid DNS name`),
      );
    }
    if (am.ipv4_address !== undefined) {
      if (typeof am.ipv4_address === 'string' && isIpv4(am.ipv4_address)) att.ipv4Address = am.ipv4_address;
      else
        c.error(
          [...path, name, 'ipv4_address'],
          `expected an IPv4 address, got ${JSON.stringify(am.ipv4_address)}`,
        );
    }
    out[name] = att;
  }
  return out;
}

const FILE_REF = z.union([
  z.string(),
  z.object({
    source: z.string(),
    target: z.string().optional(),
    uid: zStr.optional(),
    gid: zStr.optional(),
    mode: z.unknown().optional(),
  }),
]);

export function fileRefs(
  c: Checker,
  v: unknown,
  path: PathSeg[],
  kind: 'config' | 'secret',
): FileReference[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    c.error(path, `expected a list of ${kind} names or {source, target, uid, gid, mode}`);
    return [];
  }
  const out: FileReference[] = [];
  v.forEach((item, i) => {
    if (isPlainObject(item)) c.mapping(item, [...path, i], NESTED_FIELDS.file_reference);
    const r = c.check(FILE_REF, item, [...path, i], `a ${kind} name or a mapping with source:`);
    if (!r) return;
    const ref = typeof r === 'string' ? { source: r } : r;
    const def = kind === 'secret' ? `/run/secrets/${ref.source}` : `/${ref.source}`;
    let target = ref.target ?? def;
    if (kind === 'secret' && !target.startsWith('/')) target = `/run/secrets/${target}`;
    if (kind === 'config' && !target.startsWith('/'))
      c.error([...path, i, 'target'], 'a config target must be an absolute path');
    const mode =
      typeof r === 'string' || r.mode === undefined
        ? 0o444
        : (c.parsed(parseMode(r.mode), [...path, i, 'mode']) ?? 0o444);
    out.push({ source: ref.source, target, uid: ref.uid ?? '0', gid: ref.gid ?? '0', mode });
  });
  return out;
}

export function devices(c: Checker, v: unknown, path: PathSeg[]): DeviceSpec[] {
  if (v === undefined || v === null) return [];
  const list = c.check(Z_DEVICES, v, path, 'a list of "/dev/src[:/dev/dst[:rwm]]"');
  const out: DeviceSpec[] = [];
  (list ?? []).forEach((d, i) => {
    const [source, target, permissions] =
      typeof d === 'string' ? d.split(':') : [d.source, d.target, d.permissions];
    if (!source?.startsWith('/'))
      return c.error([...path, i], `device "${String(source)}": the host path must be absolute`);
    if (permissions !== undefined && !/^[rwm]{1,3}$/.test(permissions))
      return c.error([...path, i], `device permissions "${permissions}": use r, w, m`);
    out.push({ source, target: target ?? source, permissions: permissions ?? 'rwm' });
  });
  return out;
}

export function ulimits(c: Checker, v: unknown, path: PathSeg[]): Record<string, Ulimit> {
  const out: Record<string, Ulimit> = {};
  const m = v === undefined || v === null ? {} : (c.mapping(v, path) ?? {});
  for (const [name, u] of Object.entries(m)) {
    if (isPlainObject(u)) {
      c.mapping(u, [...path, name], NESTED_FIELDS.ulimit);
      const soft = c.check(zInt, u.soft, [...path, name, 'soft'], 'an integer');
      const hard = c.check(zInt, u.hard, [...path, name, 'hard'], 'an integer');
      if (soft !== undefined && hard !== undefined) {
        if (soft > hard && hard !== -1)
          c.error([...path, name], `soft limit ${soft} is above the hard limit ${hard}`);
        out[name] = { soft, hard };
      }
    } else {
      const n = c.check(zInt, u, [...path, name], 'an integer or {soft, hard}');
      if (n !== undefined) out[name] = { soft: n, hard: n };
    }
  }
  return out;
}

export function logging(c: Checker, v: unknown, path: PathSeg[]): LoggingSpec {
  const out: LoggingSpec = { maxSizeBytes: 20 * 1024 * 1024, maxFile: 5 };
  if (v === undefined || v === null) return out;
  const m = c.mapping(v, path, NESTED_FIELDS.logging);
  if (!m) return out;
  if (m.driver !== undefined && m.driver !== 'json-file' && m.driver !== 'local') {
    c.error(
      [...path, 'driver'],
      `logging driver ${JSON.stringify(m.driver)} is not supported by tsstack yet (json-file and local are)`,
    );
  }
  const opts =
    m.options === undefined || m.options === null ? {} : (c.mapping(m.options, [...path, 'options']) ?? {});
  for (const [k, val] of Object.entries(opts)) {
    if (k === 'max-size')
      out.maxSizeBytes = c.parsed(parseBytes(val), [...path, 'options', k]) ?? out.maxSizeBytes;
    else if (k === 'max-file')
      out.maxFile = c.check(zPositiveInt, val, [...path, 'options', k], 'a number of files') ?? out.maxFile;
    else
      c.error(
        [...path, 'options', k],
        `logging option "${k}" is not supported by tsstack yet (max-size and max-file are)`,
      );
  }
  return out;
}

export function extraHosts(c: Checker, v: unknown, path: PathSeg[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (v === undefined || v === null) return out;
  const lm = c.check(zListOrMap, v, path, 'a list of "host:ip" or a mapping');
  if (!lm) return out;
  const entries: Array<[string, string, PathSeg]> = Array.isArray(lm)
    ? lm.map((s, i) => {
        const eq = s.indexOf('=');
        const at = eq >= 0 ? eq : s.indexOf(':');
        return [at < 0 ? s : s.slice(0, at), at < 0 ? '' : s.slice(at + 1), i];
      })
    : Object.entries(lm).map(([k, val]) => [k, String(val ?? ''), k]);
  for (const [host, ip, key] of entries) {
    const addr = ip.replace(/^\[(.*)\]$/, '$1');
    if (!DNS_NAME.test(host)) c.error([...path, key], `extra host "${host}" is not a valid host name`);
    else if (!isIp(addr) && addr !== 'host-gateway')
      c.error([...path, key], `extra host "${host}": "${ip}" is not an IP address`);
    else out[host] = addr;
  }
  return out;
}

export function strOrList(c: Checker, v: unknown, path: PathSeg[]): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  return c.check(zStrList, v, path, 'a string or a list of strings') ?? [];
}
