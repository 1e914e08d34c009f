// Pure stack diff: per service create|update|remove|unchanged with human reasons, from the canonical hash.
import type { ServicePlan, ServiceSpec, StackSpec } from '@tsstack/model';
import { serviceSpecHash } from '@tsstack/spec';

const WATCHED: Array<[string, (s: ServiceSpec) => unknown]> = [
  ['image', (s) => s.image],
  ['command', (s) => s.command],
  ['entrypoint', (s) => s.entrypoint],
  ['environment', (s) => s.environment],
  ['ports', (s) => s.ports],
  ['volumes', (s) => s.volumes],
  ['networks', (s) => s.networks],
  ['healthcheck', (s) => s.healthcheck],
  ['resources', (s) => s.resources],
  ['placement', (s) => s.deploy.placement],
  ['mode', (s) => s.deploy.mode],
  ['labels', (s) => s.labels],
];

export function diffService(prev: ServiceSpec, next: ServiceSpec): string[] {
  const reasons: string[] = [];
  for (const [name, get] of WATCHED) {
    if (JSON.stringify(get(prev)) !== JSON.stringify(get(next))) reasons.push(`${name} changed`);
  }
  if (serviceSpecHash(prev) !== serviceSpecHash(next) && reasons.length === 0) reasons.push('spec changed');
  if (prev.deploy.replicas !== next.deploy.replicas) {
    reasons.push(`replicas ${prev.deploy.replicas}->${next.deploy.replicas}`);
  }
  return reasons;
}

export interface StackPlanOptions {
  /** Remove services that left the stack files (`up --remove-orphans`); otherwise they are kept, as orphans. */
  removeOrphans?: boolean;
}

/** Services of the deployed stack that are not in the files being deployed. */
export function orphanServices(current: StackSpec | undefined, next: StackSpec): string[] {
  return Object.keys(current?.services ?? {})
    .filter((name) => !next.services[name])
    .sort();
}

/** Plan for deploying `next` over `current` (undefined = new stack); sorted by service name. */
export function planStack(
  current: StackSpec | undefined,
  next: StackSpec,
  opts: StackPlanOptions = {},
): ServicePlan[] {
  const before = current?.services ?? {};
  const names = new Set([...Object.keys(before), ...Object.keys(next.services)]);
  return [...names].sort().map((service): ServicePlan => {
    const p = before[service];
    const n = next.services[service];
    if (!p) return { service, action: 'create', reasons: ['new service'] };
    if (!n && opts.removeOrphans) return { service, action: 'remove', reasons: ['not in stack file'] };
    if (!n)
      return {
        service,
        action: 'orphaned',
        reasons: ['not in stack file: kept, --remove-orphans removes it'],
      };
    const reasons = diffService(p, n);
    return { service, action: reasons.length ? 'update' : 'unchanged', reasons };
  });
}

/**
 * The stack to store when orphans are kept: `next` plus the orphan services, with the networks, volumes,
 * configs and secrets they use that `next` no longer declares, so they keep running as they were.
 */
export function keepOrphans(current: StackSpec | undefined, next: StackSpec): StackSpec {
  const orphans = orphanServices(current, next).map((name) => current!.services[name]!);
  if (orphans.length === 0) return next;
  const carry = <T>(from: Record<string, T>, into: Record<string, T>, used: string[]): Record<string, T> => {
    const out = { ...into };
    for (const name of used) if (!out[name] && from[name]) out[name] = from[name];
    return out;
  };
  const cur = current!;
  return {
    ...next,
    services: { ...next.services, ...Object.fromEntries(orphans.map((s) => [s.name, s])) },
    networks: carry(
      cur.networks,
      next.networks,
      orphans.flatMap((s) => Object.keys(s.networks)),
    ),
    volumes: carry(
      cur.volumes,
      next.volumes,
      orphans.flatMap((s) => s.volumes.flatMap((v) => (v.type === 'volume' && v.source ? [v.source] : []))),
    ),
    configs: carry(
      cur.configs,
      next.configs,
      orphans.flatMap((s) => s.configs.map((c) => c.source)),
    ),
    secrets: carry(
      cur.secrets,
      next.secrets,
      orphans.flatMap((s) => s.secrets.map((c) => c.source)),
    ),
  };
}
