// The state of one build stage while its instructions run: the image config so far, its layers (with diff
// ids), history, the running cache key and the ARG values in scope. Plain data plus small pure helpers.
import { createHash } from 'node:crypto';
import { Descriptor, ImageConfig, MT } from '../types';

export interface HistoryEntry {
  created: string;
  created_by: string;
  empty_layer?: boolean;
  comment?: string;
}

export interface Stage {
  index: number;
  name?: string;
  config: ImageConfig & { Volumes?: Record<string, object>; OnBuild?: string[]; Shell?: string[] };
  layers: Descriptor[];
  diffIds: string[];
  history: HistoryEntry[];
  architecture: string;
  os: string;
  author?: string;
  /** Cache key of the state after the last instruction. */
  key: string;
  /** ARG values declared in this stage. */
  args: Record<string, string>;
  /** Whether CMD was set in this stage (ENTRYPOINT resets an inherited CMD only). */
  cmdSet: boolean;
}

export function cacheKey(...parts: string[]): string {
  return 'sha256:' + createHash('sha256').update(parts.join('\n\0')).digest('hex');
}

export function cloneStage(s: Stage, index: number, name?: string): Stage {
  const copy = JSON.parse(JSON.stringify(s)) as Stage;
  return { ...copy, index, name, cmdSet: false, args: {} };
}

/** Env list as a record (later entries win). */
export function envRecord(env: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env ?? []) {
    const i = e.indexOf('=');
    if (i > 0) out[e.slice(0, i)] = e.slice(i + 1);
  }
  return out;
}

export function setEnv(env: string[] | undefined, key: string, value: string): string[] {
  return [...(env ?? []).filter((e) => !e.startsWith(`${key}=`)), `${key}=${value}`];
}

/** Variables visible to substitution: ARGs, overridden by ENV of the same name (as docker does). */
export function stageVars(s: Stage): Record<string, string> {
  return { ...s.args, ...envRecord(s.config.Env) };
}

/** Layer media types as an OCI manifest names them. */
export function ociLayerType(mediaType: string): string {
  if (mediaType === 'application/vnd.docker.image.rootfs.diff.tar.gzip') return MT.ociLayerGzip;
  if (mediaType === 'application/vnd.docker.image.rootfs.diff.tar')
    return 'application/vnd.oci.image.layer.v1.tar';
  return mediaType;
}

/** Parses a docker duration ("30s", "1m30s", "500ms", "1h") into nanoseconds. */
export function durationNs(s: string): number {
  const units: Record<string, number> = { ns: 1, us: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  let rest = s.trim();
  if (!rest) throw new Error('empty duration');
  while (rest) {
    const m = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)/.exec(rest);
    if (!m) throw new Error(`invalid duration "${s}" (use e.g. 30s, 1m30s, 500ms)`);
    total += Number(m[1]) * units[m[2]];
    rest = rest.slice(m[0].length);
  }
  return Math.round(total);
}
