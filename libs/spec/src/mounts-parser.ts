// libs/spec: Compose service `volumes:` (short "src:dst[:opts]" and long syntax) -> the model's MountSpec.
// Relative bind sources were made absolute per file before merging (path-resolver.ts). Short-syntax binds
// create a missing host path, as Compose does; long syntax only with bind.create_host_path: true.
import type { MountSpec } from '@tsstack/model';
import { isPlainObject } from './source-locations';
import { parseBytes, parseMode, show, type Parsed } from './units';

const PROPAGATION = new Set(['rprivate', 'private', 'rshared', 'shared', 'rslave', 'slave']);

export function parseMount(v: unknown): Parsed<MountSpec> {
  if (typeof v === 'string') return parseShort(v);
  if (isPlainObject(v)) return parseLong(v);
  return bad(
    `expected a volume such as "data:/var/lib/data" or a mapping with type: and target:, got ${show(v)}`,
  );
}

function isPath(s: string): boolean {
  return s.startsWith('/') || s.startsWith('.') || s.startsWith('~');
}

function parseShort(raw: string): Parsed<MountSpec> {
  const parts = raw.split(':');
  if (parts.length > 3 || parts.some((p) => p === ''))
    return bad(`volume "${raw}": use [source:]target[:ro|rw|nocopy|propagation]`);
  if (parts.length === 1) {
    if (!parts[0]!.startsWith('/')) return bad(`volume "${raw}": the container path must be absolute`);
    return { ok: true, value: { type: 'volume', target: parts[0]!, readOnly: false } };
  }
  const [source, target, opts = ''] = parts as [string, string, string?];
  if (!target.startsWith('/')) return bad(`volume "${raw}": the container path "${target}" must be absolute`);
  let readOnly = false;
  let noCopy = false;
  let propagation: string | undefined;
  for (const o of opts ? opts.split(',') : []) {
    if (o === 'ro') readOnly = true;
    else if (o === 'rw') readOnly = false;
    else if (o === 'nocopy') noCopy = true;
    else if (PROPAGATION.has(o)) propagation = o;
    else if (o === 'z' || o === 'Z')
      return bad(`volume "${raw}": SELinux relabeling (${o}) is not supported by tsstack yet`);
    else return bad(`volume "${raw}": unknown option "${o}" (use ro, rw, nocopy or a propagation mode)`);
  }
  if (isPath(source)) {
    if (noCopy) return bad(`volume "${raw}": nocopy applies to named volumes only`);
    const m: MountSpec = { type: 'bind', source, target, readOnly, createHostPath: true };
    if (propagation) m.propagation = propagation;
    return { ok: true, value: m };
  }
  if (propagation) return bad(`volume "${raw}": propagation applies to bind mounts only`);
  const m: MountSpec = { type: 'volume', source, target, readOnly };
  if (noCopy) m.noCopy = true;
  return { ok: true, value: m };
}

function parseLong(v: Record<string, unknown>): Parsed<MountSpec> {
  const target = v.target;
  if (typeof target !== 'string' || !target.startsWith('/'))
    return bad(`target: expected an absolute container path, got ${show(target)}`);
  const readOnly = v.read_only === true || v.read_only === 'true';
  const source = v.source === undefined || v.source === null ? undefined : String(v.source);
  switch (v.type) {
    case 'volume': {
      const m: MountSpec = { type: 'volume', target, readOnly };
      if (source) m.source = source;
      if (isPlainObject(v.volume) && v.volume.nocopy === true) m.noCopy = true;
      return { ok: true, value: m };
    }
    case 'bind': {
      if (!source) return bad('a bind mount needs source:');
      const b = isPlainObject(v.bind) ? v.bind : {};
      if (b.propagation !== undefined && !PROPAGATION.has(String(b.propagation))) {
        return bad(`bind.propagation ${show(b.propagation)}: use one of ${[...PROPAGATION].join(', ')}`);
      }
      const m: MountSpec = {
        type: 'bind',
        source,
        target,
        readOnly,
        createHostPath: b.create_host_path === true,
      };
      if (b.propagation !== undefined) m.propagation = String(b.propagation);
      return { ok: true, value: m };
    }
    case 'tmpfs': {
      if (source) return bad('a tmpfs mount takes no source:');
      const t = isPlainObject(v.tmpfs) ? v.tmpfs : {};
      const m: MountSpec = { type: 'tmpfs', target, readOnly };
      if (t.size !== undefined) {
        const size = parseBytes(t.size);
        if (!size.ok) return size;
        m.sizeBytes = size.value;
      }
      if (t.mode !== undefined) {
        const mode = parseMode(t.mode);
        if (!mode.ok) return mode;
        m.mode = mode.value;
      }
      return { ok: true, value: m };
    }
    default:
      if (v.type === 'npipe' || v.type === 'cluster' || v.type === 'image')
        return bad(`volume type "${String(v.type)}" is not supported by tsstack yet`);
      return bad(`type: expected volume, bind or tmpfs, got ${show(v.type)}`);
  }
}

function bad<T>(message: string): Parsed<T> {
  return { ok: false, message };
}
