// libs/spec: where each value of a loaded tree came from. Locations hang on the containers (objects and arrays)
// of the plain JS tree, keyed by child key, so they survive interpolation in place and are copied by merges.
// An issue's place is found by walking its field path from the root: the deepest known location wins.

export interface SourceLoc {
  file: string;
  line: number;
  col: number;
}

export type PathSeg = string | number;
export type Tree = Record<string, unknown>;

const childLocs = new WeakMap<object, Map<PathSeg, SourceLoc>>();
/** Where the key itself was written (for "unknown field" messages), when it differs from its value. */
const keyLocs = new WeakMap<object, Map<PathSeg, SourceLoc>>();

export function setKeyLoc(container: object, key: PathSeg, loc: SourceLoc | undefined): void {
  if (!loc) return;
  let m = keyLocs.get(container);
  if (!m) keyLocs.set(container, (m = new Map()));
  m.set(key, loc);
}

/** The location of the last key of `path` (falls back to its value's location). */
export function locateKey(root: unknown, path: readonly PathSeg[]): SourceLoc | undefined {
  let node = root;
  for (let i = 0; i < path.length - 1; i++) {
    if (node === null || typeof node !== 'object') return locate(root, path);
    node = (node as Record<PathSeg, unknown>)[path[i]!];
  }
  const last = path[path.length - 1];
  if (last === undefined || node === null || typeof node !== 'object') return locate(root, path);
  return keyLocs.get(node)?.get(last) ?? locate(root, path);
}

export function setLoc(container: object, key: PathSeg, loc: SourceLoc | undefined): void {
  if (!loc) return;
  let m = childLocs.get(container);
  if (!m) childLocs.set(container, (m = new Map()));
  m.set(key, loc);
}

export function getLoc(container: object, key: PathSeg): SourceLoc | undefined {
  return childLocs.get(container)?.get(key);
}

/** Copies the location of `from[fromKey]` to `to[toKey]`. */
export function copyLoc(to: object, toKey: PathSeg, from: object, fromKey: PathSeg): void {
  setLoc(to, toKey, getLoc(from, fromKey));
  setKeyLoc(to, toKey, keyLocs.get(from)?.get(fromKey));
}

/** The deepest known location along `path` from `root`. */
export function locate(root: unknown, path: readonly PathSeg[]): SourceLoc | undefined {
  let node = root;
  let best: SourceLoc | undefined;
  for (const seg of path) {
    if (node === null || typeof node !== 'object') break;
    best = getLoc(node, seg) ?? best;
    node = (node as Record<PathSeg, unknown>)[seg];
  }
  return best;
}

/** Field path text as users read it: services.web.ports[0]. */
export function pathText(path: readonly PathSeg[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${seg}` : seg;
  }
  return out;
}

/** Deep copy of a plain tree that keeps every location. */
export function cloneTree<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (isMarker(value)) return value;
  const out = (Array.isArray(value) ? [] : {}) as Record<PathSeg, unknown>;
  for (const [k, v] of Object.entries(value)) {
    const key = Array.isArray(value) ? Number(k) : k;
    defineChild(out, key, cloneTree(v));
    copyLoc(out, key, value, key);
  }
  return out as T;
}

/** Sets a child without the `__proto__` setter trap. */
export function defineChild(obj: Record<PathSeg, unknown>, key: PathSeg, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** `!reset` in a YAML file: the merged value is removed (or emptied). */
export class ResetMarker {
  readonly kind = 'reset';
}
/** `!override value` in a YAML file: the merged value is replaced, not merged. */
export class OverrideMarker {
  readonly kind = 'override';
  constructor(public value: unknown) {}
}

export function isMarker(v: unknown): v is ResetMarker | OverrideMarker {
  return v instanceof ResetMarker || v instanceof OverrideMarker;
}

export function isPlainObject(v: unknown): v is Tree {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !isMarker(v);
}
