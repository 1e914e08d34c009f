// libs/spec: passes over one loaded file's tree, in place: interpolation of every string value (keys are not
// interpolated, as in Compose), and making relative paths absolute against the file's base directory
// (build contexts, env_file, bind sources, config/secret files, extends.file, seccomp profile files), `~` as
// $HOME.
import * as path from 'node:path';
import { interpolate, InterpolationError, type Lookup } from './interpolation';
import type { IssueList } from './issue-list';
import { getLoc, isPlainObject, OverrideMarker, pathText, type PathSeg, type Tree } from './source-locations';

export function interpolateTree(tree: Tree, lookup: Lookup, issues: IssueList, file: string): void {
  // One shared path stack, pushed and popped: paths are only materialized for an error.
  const p: PathSeg[] = [];
  const one = (s: string, container: object, key?: PathSeg): string => {
    if (!s.includes('$')) return s;
    try {
      return interpolate(s, lookup);
    } catch (err) {
      if (!(err instanceof InterpolationError)) throw err;
      const loc = key === undefined ? undefined : getLoc(container, key);
      issues.addAt(loc ?? { file }, pathText(p), err.message);
      return s;
    }
  };
  const child = (obj: Record<PathSeg, unknown>, k: PathSeg): void => {
    const v = obj[k];
    p.push(k);
    if (typeof v === 'string') obj[k] = one(v, obj, k);
    else if (v !== null && typeof v === 'object') walk(v);
    p.pop();
  };
  const walk = (node: object): void => {
    if (node instanceof OverrideMarker) {
      if (typeof node.value === 'string') node.value = one(node.value, node);
      else if (node.value !== null && typeof node.value === 'object') walk(node.value);
      return;
    }
    const obj = node as Record<PathSeg, unknown>;
    if (Array.isArray(node)) for (let i = 0; i < node.length; i++) child(obj, i);
    else for (const k in obj) if (Object.prototype.hasOwnProperty.call(obj, k)) child(obj, k);
  };
  walk(tree);
}

/**
 * Interpolates only the given places (each a container and key holding a string), for a tree whose
 * loader listed every string with a `$`. Issues carry the file only: the caller finds them again located.
 */
export function interpolateSlots(
  slots: ReadonlyArray<readonly [object, PathSeg]>,
  lookup: Lookup,
  issues: IssueList,
  file: string,
): void {
  for (const [obj, key] of slots) {
    const container = obj as Record<PathSeg, unknown>;
    const v = container[key];
    if (typeof v !== 'string') continue;
    try {
      container[key] = interpolate(v, lookup);
    } catch (err) {
      if (!(err instanceof InterpolationError)) throw err;
      issues.addAt({ file }, '', err.message);
    }
  }
}

/** `seccomp=FILE` or `seccomp:FILE` naming a profile file (not `unconfined` or `builtin`). */
export const SECCOMP_FILE = /^seccomp[=:](?!(?:unconfined|builtin)$)(.+)$/;

function isRemote(s: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(s) || s.startsWith('git@') || s.startsWith('github.com/');
}

export function absPath(p: string, base: string, home: string | undefined): string {
  if (p === '~' || p.startsWith('~/')) return path.join(home ?? '/root', p.slice(1));
  return path.resolve(base, p);
}

/** Makes the relative paths of one file absolute against `base`. */
export function resolvePaths(tree: Tree, base: string, home: string | undefined): void {
  const abs = (p: string): string => absPath(p, base, home);
  const unwrap = (v: unknown): unknown => (v instanceof OverrideMarker ? v.value : v);
  for (const svc of Object.values(isPlainObject(tree.services) ? tree.services : {})) {
    if (!isPlainObject(svc)) continue;
    const build = unwrap(svc.build);
    if (typeof build === 'string' && !isRemote(build)) svc.build = abs(build);
    else if (isPlainObject(build) && typeof build.context === 'string' && !isRemote(build.context))
      build.context = abs(build.context);
    const envFile = unwrap(svc.env_file);
    if (typeof envFile === 'string') svc.env_file = abs(envFile);
    else if (Array.isArray(envFile)) {
      envFile.forEach((e, i) => {
        if (typeof e === 'string') envFile[i] = abs(e);
        else if (isPlainObject(e) && typeof e.path === 'string') e.path = abs(e.path);
      });
    } else if (isPlainObject(envFile) && typeof envFile.path === 'string') envFile.path = abs(envFile.path);
    const vols = unwrap(svc.volumes);
    if (Array.isArray(vols)) {
      vols.forEach((v, i) => {
        if (typeof v === 'string') {
          const parts = v.split(':');
          if (parts.length > 1 && /^[.~]/.test(parts[0]!))
            vols[i] = [abs(parts[0]!), ...parts.slice(1)].join(':');
        } else if (isPlainObject(v) && v.type === 'bind' && typeof v.source === 'string')
          v.source = abs(v.source);
      });
    }
    const ext = unwrap(svc.extends);
    if (isPlainObject(ext) && typeof ext.file === 'string') ext.file = abs(ext.file);
    const opts = unwrap(svc.security_opt);
    if (Array.isArray(opts)) {
      opts.forEach((o, i) => {
        const m = typeof o === 'string' ? SECCOMP_FILE.exec(o) : null;
        if (m) opts[i] = `seccomp=${abs(m[1]!)}`;
      });
    }
  }
  for (const kind of ['configs', 'secrets']) {
    for (const o of Object.values(isPlainObject(tree[kind]) ? (tree[kind] as Tree) : {})) {
      if (isPlainObject(o) && typeof o.file === 'string') o.file = abs(o.file);
    }
  }
}
