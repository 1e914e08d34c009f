// Pure canonical hash of a service spec: JSON with sorted keys, sha256. Local stand-in until
// @tsstack/spec exports serviceSpecHash. Scale-only fields (deploy.replicas) are excluded so that a
// replica change is a scale, not a rolling update.
import { createHash } from 'node:crypto';
import type { ServiceSpec } from '@tsstack/model';

export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

export function serviceSpecHash(spec: ServiceSpec): string {
  const { deploy, ...rest } = spec;
  const { replicas: _replicas, ...deployRest } = deploy;
  void _replicas;
  return createHash('sha256')
    .update(canonicalJson({ ...rest, deploy: deployRest }))
    .digest('hex');
}
