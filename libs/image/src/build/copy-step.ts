// COPY and ADD: expands source patterns inside a root (the build context, another stage's rootfs view, an
// extracted archive), never leaving it; turns them into tar entries under the destination with docker's
// rules (a directory source copies its contents; several sources or a trailing '/' make the destination a
// directory; context files are owned by 0:0 unless --chown; --from keeps owners), adds parent directories
// with the metadata they already have in the image, and hashes everything that matters for the cache.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveInRoot } from '../safe-path';
import { BuildError } from './build-error';
import { DockerIgnore } from './dockerignore';
import { TarEntry } from './layer-writer';

export interface CopySource {
  /** Host path of the source (file, dir or symlink). */
  hostPath: string;
  /** For a directory: copy what is in it (always true, as docker does). For context files: path for .dockerignore. */
  ignoreRel?: string;
  /** Keep the owner of source files (COPY --from, extracted archives); else 0:0. */
  keepOwner: boolean;
}

export interface CopyOptions {
  /** Absolute destination in the image. */
  dest: string;
  destIsDir: boolean;
  chown?: { uid: number; gid: number };
  chmod?: number;
  ignore?: DockerIgnore;
  /** Host dir of the current image's merged view (undefined for scratch): metadata of existing dirs. */
  view?: string;
}

const GLOB = /[*?[]/;

function globRegExp(component: string): RegExp {
  let re = '';
  for (const c of component)
    re += c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c.replace(/[.+^${}()|\\]/g, '\\$&');
  return new RegExp(`^${re}$`);
}

/** Expands a source pattern relative to `root` into relative paths that exist (sorted). */
export function expandSource(root: string, pattern: string): string[] {
  const parts = path.posix
    .normalize('/' + pattern)
    .split('/')
    .filter(Boolean);
  const norm = path.posix.normalize(pattern.replace(/^\/+/, ''));
  if (norm === '..' || norm.startsWith('../'))
    throw new BuildError(`source ${pattern} is outside the build context (or stage)`);
  let found = [''];
  for (const part of parts) {
    const next: string[] = [];
    for (const base of found) {
      const dir = resolveInRoot(root, base);
      if (GLOB.test(part)) {
        if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) continue;
        const re = globRegExp(part);
        for (const n of fs.readdirSync(dir).sort()) if (re.test(n)) next.push(base ? `${base}/${n}` : n);
      } else {
        const rel = base ? `${base}/${part}` : part;
        if (fs.lstatSync(resolveInRoot(root, rel), { throwIfNoEntry: false })) next.push(rel);
      }
    }
    found = next;
  }
  return found;
}

function existing(view: string | undefined, rel: string): fs.Stats | undefined {
  if (!view) return undefined;
  try {
    return fs.lstatSync(resolveInRoot(view, rel));
  } catch {
    return undefined;
  }
}

/** Tar entries for copying `sources` to `opts.dest`, parents first, plus the cache hash of the inputs. */
export function copyEntries(sources: CopySource[], opts: CopyOptions): { entries: TarEntry[]; hash: string } {
  const out = new Map<string, TarEntry>();
  const hash = createHash('sha256');
  const destRel = opts.dest.replace(/^\/+/, '').replace(/\/+$/, '');
  const owner = (st: fs.Stats, keep: boolean): { uid: number; gid: number } =>
    opts.chown ?? (keep ? { uid: st.uid, gid: st.gid } : { uid: 0, gid: 0 });

  const add = (name: string, st: fs.Stats, src: string, keep: boolean): void => {
    const o = owner(st, keep);
    const mode = opts.chmod ?? st.mode & 0o7777;
    const base = { name, mode, ...o, mtime: st.mtime };
    let e: TarEntry;
    if (st.isDirectory()) e = { ...base, type: 'directory' };
    else if (st.isSymbolicLink())
      e = { ...base, mode: 0o777, type: 'symlink', linkname: fs.readlinkSync(src) };
    else if (st.isFile()) e = { ...base, type: 'file', src };
    else return; // sockets, devices and fifos of a context are not copied
    out.set(name, e);
    const content = e.type === 'file' ? createHash('sha256').update(fs.readFileSync(src)).digest('hex') : '';
    hash.update(`${name}\0${e.type}\0${e.mode}\0${e.uid}:${e.gid}\0${e.linkname ?? ''}\0${content}\n`);
  };

  const walk = (dir: string, target: string, ignoreRel: string | undefined, keep: boolean): void => {
    for (const n of fs.readdirSync(dir).sort()) {
      const rel = ignoreRel !== undefined ? (ignoreRel ? `${ignoreRel}/${n}` : n) : undefined;
      const p = path.join(dir, n);
      const st = fs.lstatSync(p);
      if (
        rel !== undefined &&
        opts.ignore?.ignores(rel) &&
        !(st.isDirectory() && opts.ignore.mayReinclude(rel))
      )
        continue;
      const name = target ? `${target}/${n}` : n;
      if (!(rel !== undefined && opts.ignore?.ignores(rel))) add(name, st, p, keep);
      if (st.isDirectory()) walk(p, name, rel, keep);
    }
  };

  for (const s of sources) {
    const st = fs.lstatSync(s.hostPath);
    if (st.isDirectory()) {
      if (destRel) add(destRel, st, s.hostPath, s.keepOwner);
      walk(s.hostPath, destRel, s.ignoreRel, s.keepOwner);
    } else {
      const name = opts.destIsDir ? path.posix.join(destRel, path.basename(s.hostPath)) : destRel;
      if (!name) throw new BuildError(`cannot copy the file ${s.hostPath} onto /`);
      add(name, st, s.hostPath, s.keepOwner);
    }
  }
  // The destination dir of a directory copy keeps the metadata it already has in the image.
  const destSt = existing(opts.view, destRel);
  const destEntry = out.get(destRel);
  if (destEntry?.type === 'directory') {
    if (destSt?.isDirectory())
      Object.assign(destEntry, {
        mode: destSt.mode & 0o7777,
        uid: destSt.uid,
        gid: destSt.gid,
        mtime: destSt.mtime,
      });
    else Object.assign(destEntry, { mode: 0o755, ...(opts.chown ?? { uid: 0, gid: 0 }) });
  }
  // Parent dirs: as they are in the image, else created 0755 root.
  const parents = new Set<string>();
  for (const name of out.keys())
    for (let d = path.posix.dirname(name); d !== '.' && d !== '/'; d = path.posix.dirname(d))
      if (!out.has(d)) parents.add(d);
  const parentEntries = [...parents].sort().map((d): TarEntry => {
    const st = existing(opts.view, d);
    return st?.isDirectory()
      ? { name: d, type: 'directory', mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime }
      : { name: d, type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: new Date(0) };
  });
  hash.update(`dest\0${opts.dest}\0${parentEntries.map((e) => `${e.name}:${e.mode}:${e.uid}`).join(',')}`);
  const entries = [...parentEntries, ...[...out.values()].sort((a, b) => (a.name < b.name ? -1 : 1))];
  return { entries, hash: 'sha256:' + hash.digest('hex') };
}
