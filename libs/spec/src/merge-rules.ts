// libs/spec: Compose's merge of several files (and of `extends`): mappings merged key by key, scalars
// replaced, sequences merged by their identity (ports by value, volumes by target, secrets/configs by source,
// cap_add & co. deduplicated), list-or-map fields (environment, labels, networks, depends_on...) merged as
// maps, command/entrypoint/healthcheck.test replaced; `!reset` removes, `!override` replaces. Locations follow
// the value that won.
import {
  copyLoc,
  defineChild,
  isMarker,
  isPlainObject,
  OverrideMarker,
  ResetMarker,
  type Tree,
} from './source-locations';

/** Service fields that may be a list (`K=V`, `name`) or a map; merged as maps. */
const MAP_LIKE = new Map<string, (item: string) => [string, unknown]>([
  ['environment', splitAt('=')],
  ['labels', splitAt('=')],
  ['annotations', splitAt('=')],
  ['sysctls', splitAt('=')],
  ['extra_hosts', splitHost],
  ['networks', (s) => [s, null]],
  ['depends_on', (s) => [s, { condition: 'service_started', required: true }]],
  ['build.args', splitAt('=')],
  ['build.labels', splitAt('=')],
  ['deploy.labels', splitAt('=')],
]);
const REPLACED = new Set([
  'command',
  'entrypoint',
  'healthcheck.test',
  'extends',
  'deploy.placement.constraints',
]);
const KEYED_SEQ = new Map<string, (item: unknown) => string>([
  ['volumes', volumeKey],
  ['secrets', sourceKey],
  ['configs', sourceKey],
  ['ports', (p) => JSON.stringify(p)],
]);

function splitAt(sep: string): (item: string) => [string, unknown] {
  return (item) => {
    const i = item.indexOf(sep);
    return i < 0 ? [item, null] : [item.slice(0, i), item.slice(i + 1)];
  };
}

function splitHost(item: string): [string, unknown] {
  const eq = item.indexOf('=');
  const i = eq >= 0 ? eq : item.indexOf(':');
  return i < 0 ? [item, null] : [item.slice(0, i), item.slice(i + 1)];
}

function volumeKey(v: unknown): string {
  if (typeof v === 'string') {
    const parts = v.split(':');
    return parts.length === 1 ? parts[0]! : parts[1]!;
  }
  return isPlainObject(v) ? String(v.target) : JSON.stringify(v);
}

function sourceKey(v: unknown): string {
  if (typeof v === 'string') return v;
  return isPlainObject(v) ? String(v.source) : JSON.stringify(v);
}

/** Merges `over` onto `base` (two whole Compose files). Neither input is changed. */
export function mergeFiles(base: Tree, over: Tree): Tree {
  return mergeMap(base, over, []) as Tree;
}

/** Merges two service definitions (for extends and for files). */
export function mergeService(base: Tree, over: Tree): Tree {
  return mergeMap(base, over, ['services', '*']) as Tree;
}

const REMOVE = Symbol('remove');

function rule(path: readonly string[]): string {
  return path[0] === 'services' ? path.slice(2).join('.') : '';
}

function mergeValue(base: unknown, over: unknown, path: string[]): unknown {
  if (over instanceof ResetMarker) return REMOVE;
  if (over instanceof OverrideMarker) return over.value;
  if (base === undefined || base instanceof ResetMarker) return over;
  if (base instanceof OverrideMarker) return mergeValue(base.value, over, path);
  const r = rule(path);
  if (path[0] === 'services' && path.length === 3 && MAP_LIKE.has(r)) {
    if (Array.isArray(base) || Array.isArray(over)) {
      return mergeMap(listToMap(base, MAP_LIKE.get(r)!), listToMap(over, MAP_LIKE.get(r)!), path);
    }
  }
  if (path[0] === 'services' && path.length === 4 && path[2] === 'build' && MAP_LIKE.has(r)) {
    return mergeMap(listToMap(base, MAP_LIKE.get(r)!), listToMap(over, MAP_LIKE.get(r)!), path);
  }
  if (path[0] === 'services' && path.length === 4 && path[2] === 'deploy' && MAP_LIKE.has(r)) {
    return mergeMap(listToMap(base, MAP_LIKE.get(r)!), listToMap(over, MAP_LIKE.get(r)!), path);
  }
  if (REPLACED.has(r)) return over;
  if (
    r === 'logging' &&
    isPlainObject(base) &&
    isPlainObject(over) &&
    over.driver !== undefined &&
    over.driver !== base.driver
  ) {
    return over;
  }
  if (r === 'build' && (typeof base === 'string' || typeof over === 'string')) {
    return mergeMap(
      typeof base === 'string' ? { context: base } : base,
      typeof over === 'string' ? { context: over } : over,
      path,
    );
  }
  if (Array.isArray(base) && Array.isArray(over))
    return mergeSeq(base, over, path.length === 3 ? KEYED_SEQ.get(r) : undefined);
  if (isPlainObject(base) && isPlainObject(over)) return mergeMap(base, over, path);
  return over;
}

function mergeMap(base: unknown, over: unknown, path: string[]): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const out: Tree = {};
  for (const k of Object.keys(base)) {
    defineChild(out, k, base[k]);
    copyLoc(out, k, base, k);
  }
  const childPath = (k: string): string[] =>
    path.length === 1 && path[0] === 'services' ? [...path, '*'] : [...path, k];
  for (const k of Object.keys(over)) {
    const v = Object.prototype.hasOwnProperty.call(base, k)
      ? mergeValue(base[k], over[k], childPath(k))
      : mergeValue(undefined, over[k], childPath(k));
    if (v === REMOVE) {
      delete out[k];
      continue;
    }
    defineChild(out, k, v);
    copyLoc(out, k, over, k);
  }
  return out;
}

function mergeSeq(base: unknown[], over: unknown[], key?: (item: unknown) => string): unknown[] {
  const out: unknown[] = [];
  const index = new Map<string, number>();
  const push = (from: unknown[], i: number): void => {
    const item = from[i];
    if (isMarker(item)) return;
    const k = key ? key(item) : typeof item === 'object' ? undefined : JSON.stringify(item);
    const at = k === undefined ? undefined : index.get(k);
    if (at !== undefined) {
      out[at] = item;
      copyLoc(out, at, from, i);
      return;
    }
    if (k !== undefined) index.set(k, out.length);
    copyLoc(out, out.length, from, i);
    out.push(item);
  };
  base.forEach((_v, i) => push(base, i));
  over.forEach((_v, i) => push(over, i));
  return out;
}

function listToMap(v: unknown, split: (item: string) => [string, unknown]): unknown {
  if (!Array.isArray(v)) return v;
  const out: Tree = {};
  v.forEach((item, i) => {
    if (typeof item !== 'string') return;
    const [k, val] = split(item);
    defineChild(out, k, val);
    copyLoc(out, k, v, i);
  });
  return out;
}

/** Removes markers left in one tree: `!reset` drops the key or item, `!override` unwraps. In place. */
export function stripMarkers(v: unknown): unknown {
  if (v instanceof OverrideMarker) return stripMarkers(v.value);
  if (Array.isArray(v)) {
    for (let i = v.length - 1; i >= 0; i--) {
      if (v[i] instanceof ResetMarker) v.splice(i, 1);
      else v[i] = stripMarkers(v[i]);
    }
    return v;
  }
  if (isPlainObject(v)) {
    for (const k of Object.keys(v)) {
      if (v[k] instanceof ResetMarker) delete v[k];
      else v[k] = stripMarkers(v[k]);
    }
  }
  return v;
}
