// libs/spec: the merged, interpolated Compose tree -> StackSpec. Top-level sections, every service, then the
// checks across the stack: DNS-label names, undefined networks/volumes/configs/secrets, depends_on on unknown
// or disabled services and cycles (named), published port conflicts, ipv4_address inside its network's subnet.
import { plainNetwork, type ServiceSpec, type StackSpec } from '@tsstack/model';
import { judgeField, fieldMessage, TOP_LEVEL_SUPPORTED, TOP_LEVEL_UNSUPPORTED } from './compose-fields';
import { fileObject, inCidr, network, volume } from './resource-normalizer';
import { DNS_LABEL } from './service-parts';
import { normalizeService, type ServiceContext } from './service-normalizer';
import type { PathSeg, Tree } from './source-locations';
import type { Checker } from './value-schemas';

export interface StackContext extends ServiceContext {
  /** Active profiles; '*' enables every profile. */
  profiles: string[];
}

const OBJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function normalizeStack(c: Checker, ctx: StackContext, root: Tree): StackSpec {
  for (const k of Object.keys(root)) {
    const msg = fieldMessage(k, judgeField(k, TOP_LEVEL_SUPPORTED, TOP_LEVEL_UNSUPPORTED));
    if (msg) c.issues.addKey(root, [k], msg.replace('field', 'top-level section'), c.fallbackFile);
  }
  const stack: StackSpec = {
    name: ctx.projectName,
    services: {},
    networks: {},
    volumes: {},
    configs: {},
    secrets: {},
  };
  section(c, root, 'networks', (key, v, p) => (stack.networks[key] = network(c, ctx, key, v, p)));
  section(c, root, 'volumes', (key, v, p) => (stack.volumes[key] = volume(c, ctx, key, v, p)));
  section(c, root, 'configs', (key, v, p) => (stack.configs[key] = fileObject(c, ctx, key, v, p, 'config')));
  section(c, root, 'secrets', (key, v, p) => (stack.secrets[key] = fileObject(c, ctx, key, v, p, 'secret')));
  const all: Record<string, ServiceSpec> = {};
  const services =
    root.services === undefined || root.services === null
      ? {}
      : (c.mapping(root.services, ['services']) ?? {});
  for (const [name, raw] of Object.entries(services)) {
    if (!DNS_LABEL.test(name)) {
      c.issues.addKey(
        root,
        ['services', name],
        `service name "${name}" must be a DNS label (lowercase letters, digits and "-", at most 63), e.g. "${dnsLabel(name) || 'web'}"`,
        c.fallbackFile,
      );
    }
    const spec = normalizeService(c, ctx, name, raw);
    if (spec) all[name] = spec;
  }
  const enabled = (s: ServiceSpec): boolean =>
    s.profiles.length === 0 || ctx.profiles.includes('*') || s.profiles.some((p) => ctx.profiles.includes(p));
  for (const [name, s] of Object.entries(all)) if (enabled(s)) stack.services[name] = s;
  checkReferences(c, stack, all);
  checkDependencies(c, stack, all);
  checkPorts(c, stack);
  return stack;
}

function section(
  c: Checker,
  root: Tree,
  key: string,
  each: (k: string, v: unknown, p: PathSeg[]) => void,
): void {
  if (root[key] === undefined || root[key] === null) return;
  const m = c.mapping(root[key], [key]);
  for (const [k, v] of Object.entries(m ?? {})) {
    if (!OBJECT_NAME.test(k))
      c.error(
        [key, k],
        `name "${k}" may hold letters, digits, "_", "." and "-" and must start with a letter or digit`,
      );
    each(k, v, [key, k]);
  }
}

function checkReferences(c: Checker, stack: StackSpec, all: Record<string, ServiceSpec>): void {
  const usesDefault = Object.values(stack.services).some((s) => 'default' in s.networks);
  if (usesDefault && !stack.networks.default) {
    stack.networks.default = plainNetwork(`${stack.name}_default`, 'overlay');
  }
  for (const s of Object.values(all)) {
    const p = (...rest: PathSeg[]): PathSeg[] => ['services', s.name, ...rest];
    for (const [net, att] of Object.entries(s.networks)) {
      const n = stack.networks[net];
      if (!n) {
        if (net !== 'default')
          c.error(
            p('networks', net),
            `service "${s.name}" uses network "${net}", which is not defined under top-level networks:`,
          );
        continue;
      }
      if (
        att.ipv4Address &&
        n.ipam.some((x) => x.subnet) &&
        !n.ipam.some((x) => x.subnet && inCidr(att.ipv4Address!, x.subnet))
      ) {
        c.error(
          p('networks', net, 'ipv4_address'),
          `${att.ipv4Address} is outside the subnets of network "${net}"`,
        );
      }
      if (att.ipv4Address && !n.ipam.some((x) => x.subnet))
        c.error(
          p('networks', net, 'ipv4_address'),
          `ipv4_address needs a subnet under networks.${net}.ipam.config`,
        );
    }
    s.volumes.forEach((v, i) => {
      if (v.type === 'volume' && v.source && !stack.volumes[v.source]) {
        c.error(
          p('volumes', i),
          `service "${s.name}" uses volume "${v.source}", which is not defined under top-level volumes:`,
        );
      }
    });
    for (const kind of ['configs', 'secrets'] as const) {
      s[kind].forEach((r, i) => {
        if (!stack[kind][r.source])
          c.error(
            p(kind, i),
            `service "${s.name}" uses ${kind.slice(0, -1)} "${r.source}", which is not defined under top-level ${kind}:`,
          );
      });
    }
  }
}

function checkDependencies(c: Checker, stack: StackSpec, all: Record<string, ServiceSpec>): void {
  for (const s of Object.values(stack.services)) {
    for (const [dep, d] of Object.entries(s.dependsOn)) {
      const path = ['services', s.name, 'depends_on', dep];
      if (stack.services[dep]) continue;
      if (!d.required) {
        delete s.dependsOn[dep];
      } else if (all[dep]) {
        c.error(
          path,
          `service "${s.name}" depends on "${dep}", which is disabled: enable one of its profiles (${all[dep]!.profiles.join(', ')}) with --profile, or set required: false`,
        );
      } else {
        c.error(path, `service "${s.name}" depends on undefined service "${dep}"`);
      }
    }
  }
  const state = new Map<string, 'active' | 'done'>();
  const stackPath: string[] = [];
  const reported = new Set<string>();
  const visit = (name: string): void => {
    state.set(name, 'active');
    stackPath.push(name);
    for (const dep of Object.keys(stack.services[name]?.dependsOn ?? {})) {
      if (!stack.services[dep]) continue;
      if (state.get(dep) === 'active') {
        const cycle = [...stackPath.slice(stackPath.indexOf(dep)), dep];
        const key = [...cycle].slice(0, -1).sort().join(',');
        if (!reported.has(key)) {
          reported.add(key);
          c.error(['services', name, 'depends_on', dep], `depends_on cycle: ${cycle.join(' -> ')}`);
        }
      } else if (!state.has(dep)) visit(dep);
    }
    stackPath.pop();
    state.set(name, 'done');
  };
  for (const name of Object.keys(stack.services)) if (!state.has(name)) visit(name);
}

function checkPorts(c: Checker, stack: StackSpec): void {
  const seen = new Map<string, Array<{ ip: string; owner: string; service: string }>>();
  for (const s of Object.values(stack.services)) {
    s.ports.forEach((p, i) => {
      if (p.published === undefined) return;
      const key = `${p.published}/${p.protocol}`;
      const ip = p.mode === 'ingress' ? 'ingress' : (p.hostIp ?? '*');
      const clash = (seen.get(key) ?? []).find(
        // The routing mesh owns an ingress port on every node. Host-mode ports of different services may
        // share a number: the scheduler keeps such tasks on different nodes, as Swarm does.
        (o) =>
          ip === 'ingress' ||
          o.ip === 'ingress' ||
          (o.service === s.name && (ip === '*' || o.ip === '*' || o.ip === ip)),
      );
      if (clash)
        c.error(
          ['services', s.name, 'ports', i],
          `published port ${key} is already published by ${clash.owner}`,
        );
      else seen.set(key, [...(seen.get(key) ?? []), { ip, owner: `service "${s.name}"`, service: s.name }]);
    });
  }
}

/** A name made into a DNS label: lowercase, other characters as "-", trimmed to 63. */
export function dnsLabel(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
}
