// Path resolution confined to a root for READING a tree nobody changes meanwhile (a build context, a
// read-only view of an image): follows symlinks as if the root were "/". Writing image content never uses
// it: that is tsstack-unpack's job, with openat2 in the kernel.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UnsafeLayerError } from './errors';

/**
 * Resolves `rel` under `root`, following symlinks in the parent components inside the root (absolute link
 * targets are taken relative to root, ".." stops at root). The last component is not followed unless
 * `followLast`.
 */
export function resolveInRoot(root: string, rel: string, followLast = false): string {
  const parts = rel.split('/').filter((p) => p && p !== '.');
  const last = followLast ? undefined : parts.pop();
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
