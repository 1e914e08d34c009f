// Pure-ish path resolution confined to a root: follows symlinks as if the root were "/", so no layer entry
// and no symlink inside the rootfs can make a write land outside it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UnsafeLayerError } from './errors';

/** Normalizes a tar entry name to a relative path; refuses ".." escapes. Returns '' for the root itself. */
export function cleanEntryName(name: string): string {
  const n = path.posix
    .normalize('/' + name.replace(/\\/g, '/'))
    .replace(/^\/+/, '')
    .replace(/\/+$/, '');
  const raw = name.replace(/^\.?\/+/, '').split('/');
  if (raw.includes('..')) throw new UnsafeLayerError(name, 'path contains ".." and could escape the root');
  return n === '.' ? '' : n;
}

/**
 * Resolves `rel` under `root`, following symlinks in the parent components inside the root (absolute link
 * targets are taken relative to root, ".." stops at root). The last component is not followed.
 */
export function resolveInRoot(root: string, rel: string): string {
  const parts = rel.split('/').filter((p) => p && p !== '.');
  const last = parts.pop();
  let cur: string[] = [];
  let hops = 0;
  const queue = [...parts];
  while (queue.length) {
    const p = queue.shift() as string;
    if (p === '..') {
      cur.pop();
      continue;
    }
    const candidate = path.join(root, ...cur, p);
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(candidate);
    } catch {
      st = undefined;
    }
    if (st?.isSymbolicLink()) {
      if (++hops > 40) throw new UnsafeLayerError(rel, 'too many symlink hops');
      const target = fs.readlinkSync(candidate);
      if (target.startsWith('/')) cur = [];
      queue.unshift(...target.split('/').filter((x) => x && x !== '.'));
      continue;
    }
    cur.push(p);
  }
  const out = path.join(root, ...cur, ...(last ? [last] : []));
  if (out !== root && !out.startsWith(root + path.sep))
    throw new UnsafeLayerError(rel, 'resolves outside the root');
  return out;
}
