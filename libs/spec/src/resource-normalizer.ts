// libs/spec: top-level networks, volumes, configs and secrets -> NetworkSpec, VolumeSpec, FileObjectSpec:
// stack-scoped names (`<project>_<key>` unless name: or external), drivers tsstack has, IPAM subnets and
// gateways, config/secret contents read from file:, environment: or content: (base64 in the model).
import type { FileObjectSpec, NetworkSpec, VolumeSpec } from '@tsstack/model';
import { z } from 'zod';
import { NESTED_FIELDS } from './compose-fields';
import { isIpv4 } from './ports-parser';
import type { StackContext } from './stack-normalizer';
import { isPlainObject, type PathSeg, type Tree } from './source-locations';
import { Checker, toStringMap, zBool, zListOrMap, zStr } from './value-schemas';

const Z_DRIVER = z.enum(['bridge', 'overlay']);

function common(
  c: Checker,
  ctx: StackContext,
  key: string,
  m: Tree,
  p: PathSeg[],
): { name: string; external: boolean; labels: Record<string, string> } {
  const external =
    m.external === undefined || m.external === null
      ? false
      : isPlainObject(m.external)
        ? true
        : (c.check(zBool, m.external, [...p, 'external'], 'true or false') ?? false);
  const given = m.name === undefined ? undefined : c.check(zStr, m.name, [...p, 'name'], 'a name');
  const labels = toStringMap(
    m.labels === undefined
      ? undefined
      : c.check(zListOrMap, m.labels, [...p, 'labels'], 'a list of KEY=VALUE or a mapping'),
  );
  return { name: given ?? (external ? key : `${ctx.projectName}_${key}`), external, labels };
}

export function network(c: Checker, ctx: StackContext, key: string, v: unknown, p: PathSeg[]): NetworkSpec {
  const m = c.mapping(v ?? {}, p, NESTED_FIELDS.network) ?? {};
  const n: NetworkSpec = {
    ...common(c, ctx, key, m, p),
    driver: 'overlay',
    internal:
      m.internal === undefined
        ? false
        : (c.check(zBool, m.internal, [...p, 'internal'], 'true or false') ?? false),
    attachable:
      m.attachable === undefined
        ? false
        : (c.check(zBool, m.attachable, [...p, 'attachable'], 'true or false') ?? false),
    ipam: [],
    driverOpts: toStringMap(
      m.driver_opts === undefined
        ? undefined
        : c.check(zListOrMap, m.driver_opts, [...p, 'driver_opts'], 'a mapping'),
    ),
  };
  if (m.driver !== undefined) {
    const d = c.check(
      Z_DRIVER,
      m.driver,
      [...p, 'driver'],
      'bridge or overlay (other drivers are not supported by tsstack yet)',
    );
    if (d) n.driver = d;
  }
  if (
    m.enable_ipv4 !== undefined &&
    c.check(zBool, m.enable_ipv4, [...p, 'enable_ipv4'], 'true or false') === false
  ) {
    c.error([...p, 'enable_ipv4'], 'networks without IPv4 are not supported by tsstack yet');
  }
  if (m.ipam !== undefined && m.ipam !== null) {
    const ipam = c.mapping(m.ipam, [...p, 'ipam'], NESTED_FIELDS.ipam) ?? {};
    if (ipam.driver !== undefined && ipam.driver !== 'default')
      c.error([...p, 'ipam', 'driver'], 'only the default IPAM driver is supported by tsstack yet');
    if (ipam.options !== undefined)
      c.error([...p, 'ipam', 'options'], 'IPAM options are not supported by tsstack yet');
    const cfg =
      ipam.config === undefined || ipam.config === null
        ? []
        : Array.isArray(ipam.config)
          ? ipam.config
          : (c.error([...p, 'ipam', 'config'], 'expected a list'), []);
    cfg.forEach((entry, i) => {
      const ep: PathSeg[] = [...p, 'ipam', 'config', i];
      const e = c.mapping(entry, ep, NESTED_FIELDS.ipam_config);
      if (!e) return;
      const out: NetworkSpec['ipam'][number] = {};
      for (const [k, key2] of [
        ['subnet', 'subnet'],
        ['ip_range', 'ipRange'],
      ] as const) {
        if (e[k] === undefined) continue;
        if (typeof e[k] === 'string' && cidr(e[k] as string)) out[key2] = e[k] as string;
        else c.error([...ep, k], `${k} ${JSON.stringify(e[k])}: expected an IPv4 CIDR such as 10.20.0.0/24`);
      }
      if (e.gateway !== undefined) {
        if (typeof e.gateway === 'string' && isIpv4(e.gateway)) out.gateway = e.gateway;
        else c.error([...ep, 'gateway'], `gateway ${JSON.stringify(e.gateway)}: expected an IPv4 address`);
      }
      if (out.gateway && out.subnet && !inCidr(out.gateway, out.subnet))
        c.error([...ep, 'gateway'], `gateway ${out.gateway} is outside subnet ${out.subnet}`);
      n.ipam.push(out);
    });
  }
  return n;
}

export function volume(c: Checker, ctx: StackContext, key: string, v: unknown, p: PathSeg[]): VolumeSpec {
  const m = c.mapping(v ?? {}, p, NESTED_FIELDS.volume_top) ?? {};
  if (m.driver !== undefined && m.driver !== 'local')
    c.error(
      [...p, 'driver'],
      `volume driver ${JSON.stringify(m.driver)} is not supported by tsstack yet (local is)`,
    );
  return {
    ...common(c, ctx, key, m, p),
    driver: 'local',
    driverOpts: toStringMap(
      m.driver_opts === undefined
        ? undefined
        : c.check(zListOrMap, m.driver_opts, [...p, 'driver_opts'], 'a mapping'),
    ),
  };
}

export function fileObject(
  c: Checker,
  ctx: StackContext,
  key: string,
  v: unknown,
  p: PathSeg[],
  kind: 'config' | 'secret',
): FileObjectSpec {
  const m = c.mapping(v ?? {}, p, NESTED_FIELDS[kind]) ?? {};
  const o: FileObjectSpec = common(c, ctx, key, m, p);
  const sources = ['file', 'environment', 'content'].filter((k) => m[k] !== undefined);
  if (o.external && sources.length) c.error(p, `an external ${kind} takes no ${sources.join('/')}`);
  if (!o.external && sources.length !== 1) {
    c.error(
      p,
      `${kind} "${key}" needs exactly one of file:, environment:${kind === 'config' ? ', content:' : ''} (or external: true)`,
    );
    return o;
  }
  if (m.file !== undefined) {
    const bytes =
      typeof m.file === 'string'
        ? ctx.readFile(m.file, [...p, 'file'])
        : (c.error([...p, 'file'], 'expected a path'), undefined);
    if (bytes) o.content = Buffer.from(bytes).toString('base64');
  } else if (m.environment !== undefined) {
    const value = typeof m.environment === 'string' ? ctx.lookup(m.environment) : undefined;
    if (value === undefined)
      c.error([...p, 'environment'], `environment variable ${JSON.stringify(m.environment)} is not set`);
    else o.content = Buffer.from(value).toString('base64');
  } else if (m.content !== undefined) {
    if (typeof m.content === 'string') o.content = Buffer.from(m.content).toString('base64');
    else c.error([...p, 'content'], 'expected a string');
  }
  return o;
}

function cidr(s: string): boolean {
  const [addr, bits, extra] = s.split('/');
  return (
    extra === undefined &&
    addr !== undefined &&
    isIpv4(addr) &&
    /^\d{1,2}$/.test(bits ?? '') &&
    Number(bits) <= 32
  );
}

function ipNum(ip: string): number {
  return ip.split('.').reduce((a, b) => a * 256 + Number(b), 0);
}

export function inCidr(ip: string, net: string): boolean {
  const [addr, bits] = net.split('/');
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipNum(ip) / size) === Math.floor(ipNum(addr!) / size);
}
