// libs/spec: canonical, key-order independent hash of a ServiceSpec (pure).
import { createHash } from 'node:crypto';
import type { ServiceSpec } from '@tsstack/model';

/** JSON with object keys sorted recursively; undefined values dropped. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/**
 * sha256 hex of the canonical JSON of a service spec. `deploy.replicas` is left out, as Swarm does: a replica
 * change is a scale, never a rolling update, so a redeploy that only scales recreates nothing.
 */
export function serviceSpecHash(spec: ServiceSpec): string {
  const { deploy, ...rest } = spec;
  if (!deploy) return createHash('sha256').update(canonicalJson(rest)).digest('hex');
  const { replicas: _replicas, ...deployWithoutReplicas } = deploy;
  return createHash('sha256')
    .update(canonicalJson({ ...rest, deploy: deployWithoutReplicas }))
    .digest('hex');
}
