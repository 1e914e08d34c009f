// libs/spec: passes over one loaded file's tree, in place: interpolation of every string value (keys are not
// interpolated, as in Compose), and making relative paths absolute against the file's base directory
// (build contexts, env_file, bind sources, config/secret files, extends.file), `~` as $HOME.
import * as path from 'node:path';
import { interpolate, InterpolationError, type Lookup } from './interpolation';
import type { IssueList } from './issue-list';
import { getLoc, isPlainObject, OverrideMarker, pathText, type PathSeg, type Tree } from './source-locations';

export function interpolateTree(tree: Tree, lookup: Lookup, issues: IssueList, file: string): void {
  const walk = (node: unknown, p: PathSeg[]): void => {
    if (node instanceof OverrideMarker) {
      if (typeof node.value === 'string') node.value = one(node.value, node, p);
      else walk(node.value, p);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const obj = node as Record<PathSeg, unknown>;
    const keys: PathSeg[] = Array.isArray(node) ? node.map((_v, i) => i) : Object.keys(node);
    for (const k of keys) {
      const v = obj[k];
      if (typeof v === 'string') obj[k] = one(v, node, [...p, k], k);
      else walk(v, [...p, k]);
    }
  };
  const one = (s: string, container: object, p: PathSeg[], key?: PathSeg): string => {
    try {
      return interpolate(s, lookup);
    } catch (err) {
      if (!(err instanceof InterpolationError)) throw err;
      const loc = key === undefined ? undefined : getLoc(container, key);
      issues.addAt(loc ?? { file }, pathText(p), err.message);
      return s;
    }
  };
  walk(tree, []);
}

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
  }
  for (const kind of ['configs', 'secrets']) {
    for (const o of Object.values(isPlainObject(tree[kind]) ? (tree[kind] as Tree) : {})) {
      if (isPlainObject(o) && typeof o.file === 'string') o.file = abs(o.file);
    }
  }
}
