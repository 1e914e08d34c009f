// Applies one layer tar (plain, gzip or zstd) onto a root directory: OCI whiteouts (.wh.<name>) delete what
// lower layers made, opaque markers (.wh..wh..opq) empty a directory of lower-layer content, hardlinks and
// symlinks are recreated, and every path is confined to the root. zstd is decompressed by Debian's `zstd`
// binary as a subprocess (Node 20's zlib has none).
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { UnsafeLayerError } from './errors';
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

/** Applies the layer in `layerFile` onto `root`. Throws UnsafeLayerError on any escape attempt. */
export async function applyLayer(root: string, layerFile: string): Promise<void> {
  fs.mkdirSync(root, { recursive: true });
  const written = new Set<string>();
  const extract = tar.extract();
  const { stream, done } = decompressed(layerFile);
  const dirTimes: Array<[string, Date]> = [];

  const handle = async (header: tar.Header, body: Readable): Promise<void> => {
    const rel = cleanEntryName(header.name);
    const base = path.posix.basename(rel);
    const dirRel = path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel);
    if (base === '.wh..wh..opq') {
      const dir = resolveInRoot(root, dirRel);
      if (fs.existsSync(dir)) {
        for (const child of fs.readdirSync(dir)) {
          const childRel = dirRel ? `${dirRel}/${child}` : child;
          if (!written.has(childRel)) removeAll(path.join(dir, child));
        }
      }
      body.resume();
      return;
    }
    if (base.startsWith('.wh.')) {
      const victim = resolveInRoot(root, (dirRel ? dirRel + '/' : '') + base.slice(4));
      removeAll(victim);
      body.resume();
      return;
    }
    if (rel === '') {
      body.resume();
      return;
    }
    const dst = resolveInRoot(root, rel);
    fs.mkdirSync(path.dirname(dst), { recursive: true });
    const existing = lstatOrUndef(dst);
    if (existing && !(existing.isDirectory() && header.type === 'directory')) removeAll(dst);
    written.add(rel);
    const mode = (header.mode ?? 0o644) & 0o7777;
    switch (header.type) {
      case 'directory':
        if (!existing?.isDirectory()) fs.mkdirSync(dst);
        break;
      case 'file':
      case 'contiguous-file':
        await pipeline(body, fs.createWriteStream(dst, { mode }));
        break;
      case 'symlink':
        fs.symlinkSync(header.linkname ?? '', dst);
        break;
      case 'link': {
        const target = resolveInRoot(root, cleanEntryName(header.linkname ?? ''));
        const st = lstatOrUndef(target);
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
    if (header.type !== 'link') {
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
  await Promise.all([pipeline(stream, extract), done]);
  for (const [d, t] of dirTimes) fs.utimesSync(d, t, t);
}
