// libs/spec: `extends:` (a service of the same file or of another file, recursively), merged by Compose's
// rules with the extending service winning. Cycles are named. In place on the file's tree.
import type { IssueList } from './issue-list';
import { mergeService } from './merge-rules';
import { cloneTree, copyLoc, getLoc, isPlainObject, locate, type Tree } from './source-locations';

/** Loads another file (absolute path) for `extends.file`, already interpolated with paths resolved. */
export type LoadForExtends = (file: string) => Tree | undefined;

export function resolveExtends(tree: Tree, file: string, load: LoadForExtends, issues: IssueList): void {
  const cache = new Map<string, Tree | undefined>();
  const services = isPlainObject(tree.services) ? tree.services : undefined;
  if (!services) return;
  for (const name of Object.keys(services)) {
    const resolved = resolve(tree, file, name, [], cache, load, issues);
    if (resolved) services[name] = resolved;
  }
}

function resolve(
  tree: Tree,
  file: string,
  name: string,
  chain: string[],
  cache: Map<string, Tree | undefined>,
  load: LoadForExtends,
  issues: IssueList,
): Tree | undefined {
  const key = `${file}#${name}`;
  if (cache.has(key)) return cache.get(key);
  const services = tree.services as Tree;
  const svc = services[name];
  if (!isPlainObject(svc) || svc.extends === undefined) return svc as Tree | undefined;
  const at = (msg: string): undefined => {
    issues.addAt(locate(tree, ['services', name, 'extends']) ?? { file }, `services.${name}.extends`, msg);
    cache.set(key, undefined);
    return undefined;
  };
  if (chain.includes(key)) {
    const names = [...chain, key].map((k) => k.split('#')[1]);
    return at(`extends cycle: ${names.join(' -> ')}`);
  }
  const ext = typeof svc.extends === 'string' ? { service: svc.extends } : svc.extends;
  if (!isPlainObject(ext) || typeof ext.service !== 'string')
    return at('extends takes a service name or {service, file}');
  for (const k of Object.keys(ext))
    if (k !== 'service' && k !== 'file') return at(`unknown field "${k}" in extends (use service and file)`);
  let baseTree = tree;
  let baseFile = file;
  if (ext.file !== undefined) {
    if (typeof ext.file !== 'string') return at('extends.file must be a path');
    const other = load(ext.file);
    if (!other) return at(`extends.file ${ext.file} could not be loaded`);
    baseTree = other;
    baseFile = ext.file;
  }
  const baseServices = isPlainObject(baseTree.services) ? baseTree.services : {};
  if (!isPlainObject(baseServices[ext.service])) {
    return at(
      `extends: service "${ext.service}" is not defined in ${baseFile === file ? 'this file' : baseFile}`,
    );
  }
  const base = resolve(baseTree, baseFile, ext.service, [...chain, key], cache, load, issues);
  if (!base) {
    cache.set(key, undefined);
    return undefined;
  }
  const own: Tree = {};
  for (const k of Object.keys(svc)) {
    if (k === 'extends') continue;
    own[k] = svc[k];
    copyLoc(own, k, svc, k);
  }
  const merged = mergeService(cloneTree(base), own);
  if (getLoc(services, name) === undefined) copyLoc(services, name, baseServices, ext.service);
  cache.set(key, merged);
  return merged;
}
