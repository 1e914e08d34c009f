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

/** Plan for deploying `next` over `current` (undefined = new stack); sorted by service name. */
export function planStack(current: StackSpec | undefined, next: StackSpec): ServicePlan[] {
  const before = current?.services ?? {};
  const names = new Set([...Object.keys(before), ...Object.keys(next.services)]);
  return [...names].sort().map((service): ServicePlan => {
    const p = before[service];
    const n = next.services[service];
    if (!p) return { service, action: 'create', reasons: ['new service'] };
    if (!n) return { service, action: 'remove', reasons: ['not in stack file'] };
    const reasons = diffService(p, n);
    return { service, action: reasons.length ? 'update' : 'unchanged', reasons };
  });
}
