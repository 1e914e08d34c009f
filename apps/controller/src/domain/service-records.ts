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

/** The record after setting `spec`; undefined when nothing changed at all. */
export function withSpec(prev: ServiceRecord, spec: ServiceSpec, now: number): ServiceRecord | undefined {
  const baseHash = serviceSpecHash(spec);
  if (baseHash !== prev.baseHash) {
    return {
      ...prev,
      spec,
      previousSpec: prev.spec,
      baseHash,
      specHash: forceHash(baseHash, prev.force),
      specVersion: prev.specVersion + 1,
      rollback: false,
      version: prev.version + 1,
      updatedAt: now,
    };
  }
  if (JSON.stringify(spec) === JSON.stringify(prev.spec)) return undefined;
  return { ...prev, spec, version: prev.version + 1, updatedAt: now };
}

export function withForce(prev: ServiceRecord, now: number): ServiceRecord {
  const force = prev.force + 1;
  return {
    ...prev,
    force,
    previousSpec: prev.spec,
    specHash: forceHash(prev.baseHash, force),
    specVersion: prev.specVersion + 1,
    rollback: false,
    version: prev.version + 1,
    updatedAt: now,
  };
}

/** Swap spec and previousSpec; undefined when there is nothing to roll back to. */
export function withRollback(prev: ServiceRecord, now: number): ServiceRecord | undefined {
  if (!prev.previousSpec) return undefined;
  const spec = {
    ...prev.previousSpec,
    deploy: { ...prev.previousSpec.deploy, replicas: prev.spec.deploy.replicas },
  };
  const baseHash = serviceSpecHash(spec);
  return {
    ...prev,
    spec,
    previousSpec: prev.spec,
    baseHash,
    specHash: forceHash(baseHash, prev.force),
    specVersion: prev.specVersion + 1,
    rollback: true,
    version: prev.version + 1,
    updatedAt: now,
  };
}
