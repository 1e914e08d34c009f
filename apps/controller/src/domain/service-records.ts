// Pure helpers that derive the next service record from the previous one: a new spec (a rolling update when
// its hash changed, a scale when only replicas did), a forced restart, a rollback.
import { type ServiceSpec } from '@tsstack/model';
import { forceHash } from '@tsstack/planner';
import { serviceSpecHash } from '@tsstack/spec';
import type { ServiceRecord } from '@tsstack/store';

export function newServiceRecord(stack: string, spec: ServiceSpec, now: number): ServiceRecord {
  const baseHash = serviceSpecHash(spec);
  return {
    key: `${stack}/${spec.name}`,
    stack,
    name: spec.name,
    spec,
    baseHash,
    force: 0,
    specHash: baseHash,
    specVersion: 1,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
}

/** A new spec version of the service: the old spec kept as previousSpec, hashes and versions advanced. */
function nextSpecVersion(
  prev: ServiceRecord,
  o: { spec: ServiceSpec; force: number; rollback: boolean },
  now: number,
): ServiceRecord {
  const baseHash = serviceSpecHash(o.spec);
  return {
    ...prev,
    spec: o.spec,
    previousSpec: prev.spec,
    baseHash,
    force: o.force,
    specHash: forceHash(baseHash, o.force),
    specVersion: prev.specVersion + 1,
    rollback: o.rollback,
    version: prev.version + 1,
    updatedAt: now,
  };
}

/** The record after setting `spec`; undefined when nothing changed at all. */
export function withSpec(prev: ServiceRecord, spec: ServiceSpec, now: number): ServiceRecord | undefined {
  if (serviceSpecHash(spec) !== prev.baseHash) return nextSpecVersion(prev, { spec, force: prev.force, rollback: false }, now); // prettier-ignore
  if (JSON.stringify(spec) === JSON.stringify(prev.spec)) return undefined;
  return { ...prev, spec, version: prev.version + 1, updatedAt: now };
}

export function withForce(prev: ServiceRecord, now: number): ServiceRecord {
  return nextSpecVersion(prev, { spec: prev.spec, force: prev.force + 1, rollback: false }, now);
}

/** Swap spec and previousSpec; undefined when there is nothing to roll back to. */
export function withRollback(prev: ServiceRecord, now: number): ServiceRecord | undefined {
  if (!prev.previousSpec) return undefined;
  const spec = {
    ...prev.previousSpec,
    deploy: { ...prev.previousSpec.deploy, replicas: prev.spec.deploy.replicas },
  };
  return nextSpecVersion(prev, { spec, force: prev.force, rollback: true }, now);
}
