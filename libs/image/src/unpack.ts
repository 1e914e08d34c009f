// Applies one layer tar (plain, gzip or zstd) onto a directory, in one of two forms:
// - flatten (default): onto a root holding the lower layers; OCI whiteouts (.wh.<name>) delete what lower
//   layers made, opaque markers (.wh..wh..opq) empty a directory of lower-layer content;
// - overlay: into an empty per-layer snapshot dir; whiteouts become char devices 0/0 and opaque markers the
//   xattr trusted.overlay.opaque=y, as overlayfs reads them when the snapshot is one of its lower dirs.
// Hardlinks and symlinks are recreated, PAX xattrs kept, every path is confined to the root, and the
// uncompressed stream can be checked against its diff id. zstd is decompressed by Debian's `zstd` binary as
// a subprocess (Node 20's zlib has none).
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { DigestMismatchError, UnsafeLayerError } from './errors';
import { applyMarks, isWhiteout, MarkOp } from './overlay-marks';
import { cleanEntryName, resolveInRoot } from './safe-path';

export type Compression = 'gzip' | 'zstd' | 'none';

export function detectCompression(head: Buffer): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

function decompressed(file: string): { stream: Readable; done: Promise<void> } {
  const fd = fs.openSync(file, 'r');
  const head = Buffer.alloc(4);
  fs.readSync(fd, head, 0, 4, 0);
  fs.closeSync(fd);
  const kind = detectCompression(head);
  if (kind === 'gzip')
    return { stream: fs.createReadStream(file).pipe(createGunzip()), done: Promise.resolve() };
  if (kind === 'zstd') {
    const child = spawn('zstd', ['-dc', '--', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const done = new Promise<void>((resolve, reject) => {
      child.on('error', (e) =>
        reject(new Error(`zstd could not start (install Debian's zstd): ${e.message}`)),
      );
      child.on('close', (code) =>
        code === 0 ? resolve() : reject(new Error(`zstd -dc failed (${code}): ${err}`)),
      );
    });
    return { stream: child.stdout, done };
  }
  return { stream: fs.createReadStream(file), done: Promise.resolve() };
}

const PARALLEL_WRITES = 8;
const SMALL_FILE = 256 << 10;

function removeAll(p: string): void {
  fs.rmSync(p, { recursive: true, force: true });
}

function lstatOrUndef(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch {
    return undefined;
  }
}

export interface ApplyLayerOptions {
  /** Write overlayfs whiteouts and opaque xattrs instead of deleting (root is an empty snapshot dir). */
  overlay?: boolean;
  /** Expected sha256 of the uncompressed tar; a mismatch throws DigestMismatchError. */
  diffId?: string;
  /** Overlay mode: snapshot dirs of the layers below, top-most first (hardlinks to their files). */
  lowerDirs?: string[];
}

/** Finds `rel` in the first lower dir that has it (top-most first); undefined when whited out or absent. */
function findInLowers(lowerDirs: string[], rel: string): string | undefined {
  for (const dir of lowerDirs) {
    const p = resolveInRoot(dir, rel);
    const st = lstatOrUndef(p);
    if (st && isWhiteout(st)) return undefined;
    if (st) return p;
  }
  return undefined;
}

/**
 * Applies the layer in `layerFile` onto `root`. Throws UnsafeLayerError on any escape attempt and
 * DigestMismatchError when `diffId` is given and the uncompressed content differs.
 */
export async function applyLayer(
  root: string,
  layerFile: string,
  opts: ApplyLayerOptions = {},
): Promise<void> {
  fs.mkdirSync(root, { recursive: true });
  const written = new Set<string>();
  const extract = tar.extract();
  const { stream, done } = decompressed(layerFile);
  const dirTimes: Array<[string, Date]> = [];
  const marks: MarkOp[] = [];
  const hash = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (opts.diffId) hash.update(chunk);
      cb(null, chunk);
    },
  });

  // Resolved parent dirs, valid until something that can change resolution (a symlink, a removal) happens.
  const dirCache = new Map<string, string>();
  const resolve = (rel: string): string => {
    const i = rel.lastIndexOf('/');
    if (i < 0) return resolveInRoot(root, rel);
    const dirRel = rel.slice(0, i);
    let dir = dirCache.get(dirRel);
    if (!dir) {
      dir = path.dirname(resolveInRoot(root, `${dirRel}/x`));
      fs.mkdirSync(dir, { recursive: true });
      dirCache.set(dirRel, dir);
    }
    return path.join(dir, rel.slice(i + 1));
  };

  // Small files are written on the thread pool, several at once, while the tar keeps being read: creating
  // files is what costs most in layers of many small files. Anything that removes, links or lists paths
  // first waits for every write in flight (drain), so the order of effects stays the tar's order.
  const inflight = new Set<Promise<void>>();
  let writeError: unknown;
  const drain = async (): Promise<void> => {
    await Promise.all(inflight);
    if (writeError) throw writeError;
  };
  const writeSmall = async (dst: string, data: Buffer, header: tar.Header, mode: number): Promise<void> => {
    while (inflight.size >= PARALLEL_WRITES) await Promise.race(inflight);
    if (writeError) throw writeError;
    const p = (async () => {
      const fh = await fs.promises.open(dst, 'w', mode);
      try {
        await fh.write(data);
        await fh.chown(header.uid ?? 0, header.gid ?? 0);
        await fh.chmod(mode);
        const mtime = header.mtime ?? new Date(0);
        await fh.utimes(mtime, mtime);
      } finally {
        await fh.close();
      }
    })()
      .catch((e: unknown) => void (writeError ??= e))
      .finally(() => inflight.delete(p));
    inflight.add(p);
  };

  const handle = async (header: tar.Header, body: Readable): Promise<void> => {
    const rel = cleanEntryName(header.name);
    const base = path.posix.basename(rel);
    const dirRel = path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel);
    if (opts.overlay && base.startsWith('.wh.')) {
      const dir = resolveInRoot(root, dirRel);
      fs.mkdirSync(dir, { recursive: true });
      if (base === '.wh..wh..opq') marks.push({ op: 'opaque', path: dir });
      else marks.push({ op: 'whiteout', path: path.join(dir, base.slice(4)) });
      body.resume();
      return;
    }
    if (base.startsWith('.wh.') || header.type === 'link') await drain();
    if (base === '.wh..wh..opq') {
      const dir = resolveInRoot(root, dirRel);
      if (fs.existsSync(dir)) {
        for (const child of fs.readdirSync(dir)) {
          const childRel = dirRel ? `${dirRel}/${child}` : child;
          if (!written.has(childRel)) removeAll(path.join(dir, child));
        }
        dirCache.clear();
      }
      body.resume();
      return;
    }
    if (base.startsWith('.wh.')) {
      const victim = resolveInRoot(root, (dirRel ? dirRel + '/' : '') + base.slice(4));
      removeAll(victim);
      dirCache.clear();
      body.resume();
      return;
    }
    if (rel === '') {
      body.resume();
      return;
    }
    const dst = resolve(rel);
    const existing = lstatOrUndef(dst);
    if (existing && !(existing.isDirectory() && header.type === 'directory')) {
      await drain();
      removeAll(dst);
      dirCache.clear();
    }
    written.add(rel);
    const mode = (header.mode ?? 0o644) & 0o7777;
    switch (header.type) {
      case 'directory':
        if (!existing?.isDirectory()) fs.mkdirSync(dst);
        break;
      case 'file':
      case 'contiguous-file': {
        if ((header.size ?? 0) <= SMALL_FILE) {
          const chunks: Buffer[] = [];
          for await (const chunk of body) chunks.push(chunk as Buffer);
          await writeSmall(dst, Buffer.concat(chunks), header, mode);
          break;
        }
        // Synchronous writes through one fd: far fewer thread-pool round trips than a write stream, which
        // dominate layers of many small files. Owner before mode (chown clears set-id bits).
        const fd = fs.openSync(dst, 'w', mode);
        try {
          for await (const chunk of body) fs.writeSync(fd, chunk as Buffer);
          fs.fchownSync(fd, header.uid ?? 0, header.gid ?? 0);
          fs.fchmodSync(fd, mode);
          const mtime = header.mtime ?? new Date(0);
          fs.futimesSync(fd, mtime, mtime);
        } finally {
          fs.closeSync(fd);
        }
        break;
      }
      case 'symlink':
        fs.symlinkSync(header.linkname ?? '', dst);
        dirCache.clear();
        break;
      case 'link': {
        const linkRel = cleanEntryName(header.linkname ?? '');
        let target = resolveInRoot(root, linkRel);
        let st = lstatOrUndef(target);
        if (!st && opts.overlay && opts.lowerDirs) {
          // A link to a file of a lower layer: overlayfs cannot link across layers, so copy it up.
          const lower = findInLowers(opts.lowerDirs, linkRel);
          const lst = lower ? lstatOrUndef(lower) : undefined;
          if (lower && lst?.isFile()) {
            fs.copyFileSync(lower, dst);
            fs.lchownSync(dst, lst.uid, lst.gid);
            fs.chmodSync(dst, lst.mode & 0o7777);
            break;
          }
          target = lower ?? target;
          st = lst;
        }
        if (!st)
          throw new UnsafeLayerError(
            header.name,
            `hardlink target ${header.linkname} does not exist in the layer`,
          );
        if (st.isDirectory()) throw new UnsafeLayerError(header.name, 'hardlink to a directory');
        fs.linkSync(target, dst);
        break;
      }
      case 'character-device':
      case 'block-device':
        execFileSync('mknod', [
          dst,
          header.type === 'character-device' ? 'c' : 'b',
          String(header.devmajor ?? 0),
          String(header.devminor ?? 0),
        ]);
        break;
      case 'fifo':
        execFileSync('mkfifo', [dst]);
        break;
      default:
        body.resume();
        return;
    }
    body.resume();
    for (const [k, v] of Object.entries((header as { pax?: Record<string, string> }).pax ?? {})) {
      if (k.startsWith('SCHILY.xattr.'))
        marks.push({
          op: 'xattr',
          path: dst,
          name: k.slice('SCHILY.xattr.'.length),
          value: Buffer.from(v, 'utf8').toString('base64'),
        });
    }
    if (header.type !== 'link' && header.type !== 'file' && header.type !== 'contiguous-file') {
      fs.lchownSync(dst, header.uid ?? 0, header.gid ?? 0);
      if (header.type !== 'symlink') fs.chmodSync(dst, mode);
      const mtime = header.mtime ?? new Date(0);
      if (header.type === 'directory') dirTimes.push([dst, mtime]);
      else fs.lutimesSync(dst, mtime, mtime);
    }
  };

  extract.on('entry', (header, body, next) => {
    handle(header, body as unknown as Readable).then(
      () => next(),
      (e: unknown) => next(e as Error),
    );
  });
  try {
    await Promise.all([pipeline(stream, tap, extract), done]);
  } finally {
    await Promise.allSettled(inflight);
  }
  if (writeError) throw writeError;
  if (opts.diffId) {
    const actual = 'sha256:' + hash.digest('hex');
    if (actual !== opts.diffId)
      throw new DigestMismatchError(opts.diffId, actual, `layer ${layerFile} diff id`);
  }
  applyMarks(marks);
  for (const [d, t] of dirTimes) fs.utimesSync(d, t, t);
}

/** The uncompressed bytes of a (possibly gzip or zstd) layer file; errors of zstd surface on the stream. */
export function decompressedStream(layerFile: string): Readable {
  const { stream, done } = decompressed(layerFile);
  done.catch((e: Error) => stream.destroy(e));
  return stream;
}

/** sha256 of the uncompressed content of a (possibly gzip or zstd) layer file: its OCI diff id. */
export async function diffIdOf(layerFile: string): Promise<string> {
  const { stream, done } = decompressed(layerFile);
  const hash = createHash('sha256');
  stream.on('data', (c: Buffer) => hash.update(c));
  await Promise.all([new Promise((r, j) => stream.on('end', r).on('error', j)), done]);
  return 'sha256:' + hash.digest('hex');
}
