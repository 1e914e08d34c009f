// Writes build layers: a list of tar entries (host files copied under new names and owners, dirs, links,
// OCI whiteouts) becomes one gzip layer blob, hashing the uncompressed stream (diff id) and the blob
// (digest) on the way. Also turns an overlay upper dir left by RUN into such entries: whiteout devices
// become `.wh.<name>`, opaque dirs get `.wh..wh..opq`, hardlinks inside the upper stay hardlinks.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { BlobStore } from '../blob-store';
import { isWhiteout, opaqueDirs } from '../overlay-marks';

export interface TarEntry {
  /** Path in the image, relative, no leading slash. */
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';
  /** Host file whose bytes a 'file' entry carries (empty file when absent). */
  src?: string;
  linkname?: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
  devmajor?: number;
  devminor?: number;
}

export interface LayerBlob {
  digest: string;
  diffId: string;
  size: number;
}

function hashing(hash: ReturnType<typeof createHash>, count?: { n: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      if (count) count.n += chunk.length;
      cb(null, chunk);
    },
  });
}

/** Writes `entries` (in order) as a gzip tar layer into the blob store. */
export async function writeLayer(blobs: BlobStore, entries: TarEntry[]): Promise<LayerBlob> {
  const pack = tar.pack();
  const diff = createHash('sha256');
  const blob = createHash('sha256');
  const size = { n: 0 };
  const tmp = path.join(blobs.root, 'tmp', `layer-${process.pid}-${Math.random().toString(16).slice(2)}`);
  fs.mkdirSync(path.dirname(tmp), { recursive: true });
  const written = pipeline(pack, hashing(diff), createGzip(), hashing(blob, size), fs.createWriteStream(tmp));
  try {
    for (const e of entries) {
      const st = e.type === 'file' && e.src ? fs.statSync(e.src) : undefined;
      const header = {
        name: e.type === 'directory' ? `${e.name}/` : e.name,
        type: e.type,
        mode: e.mode,
        uid: e.uid,
        gid: e.gid,
        mtime: e.mtime,
        size: st?.size ?? 0,
        ...(e.linkname !== undefined ? { linkname: e.linkname } : {}),
        ...(e.devmajor !== undefined ? { devmajor: e.devmajor, devminor: e.devminor ?? 0 } : {}),
      };
      if (st && e.src) {
        const sink = pack.entry(header);
        await pipeline(fs.createReadStream(e.src), sink);
      } else {
        await new Promise<void>((resolve, reject) =>
          // A file entry without a buffer waits for data: give empty files (whiteouts) an empty one.
          e.type === 'file'
            ? pack.entry(header, Buffer.alloc(0), (err) => (err ? reject(err) : resolve()))
            : pack.entry(header, (err) => (err ? reject(err) : resolve())),
        );
      }
    }
    pack.finalize();
    await written;
    const digest = 'sha256:' + blob.digest('hex');
    if (!blobs.has(digest)) {
      fs.mkdirSync(path.dirname(blobs.path(digest)), { recursive: true });
      fs.renameSync(tmp, blobs.path(digest));
    }
    return { digest, diffId: 'sha256:' + diff.digest('hex'), size: size.n };
  } catch (e) {
    pack.destroy();
    await written.catch(() => undefined);
    throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Tar entries of an overlay upper dir (what RUN changed), sorted, with OCI whiteouts. */
export function entriesFromUpper(upper: string): TarEntry[] {
  const opaque = new Set(opaqueDirs(upper));
  const out: TarEntry[] = [];
  const inodes = new Map<number, string>();
  const walk = (rel: string): void => {
    const dir = path.join(upper, rel);
    for (const name of fs.readdirSync(dir).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const p = path.join(upper, r);
      const st = fs.lstatSync(p);
      if (isWhiteout(st)) {
        out.push({
          name: `${rel ? rel + '/' : ''}.wh.${name}`,
          type: 'file',
          mode: 0o644,
          uid: 0,
          gid: 0,
          mtime: st.mtime,
        });
        continue;
      }
      const base = { name: r, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
      if (st.isDirectory()) {
        out.push({ ...base, type: 'directory' });
        if (opaque.has(r)) out.push({ ...base, name: `${r}/.wh..wh..opq`, type: 'file', mode: 0o644 });
        walk(r);
      } else if (st.isSymbolicLink()) out.push({ ...base, type: 'symlink', linkname: fs.readlinkSync(p) });
      else if (st.isFile()) {
        const first = st.nlink > 1 ? inodes.get(st.ino) : undefined;
        if (first) out.push({ ...base, type: 'link', linkname: first });
        else {
          if (st.nlink > 1) inodes.set(st.ino, r);
          out.push({ ...base, type: 'file', src: p });
        }
      } else if (st.isFIFO()) out.push({ ...base, type: 'fifo' });
      else if (st.isCharacterDevice() || st.isBlockDevice())
        out.push({
          ...base,
          type: st.isCharacterDevice() ? 'character-device' : 'block-device',
          devmajor: Math.floor(st.rdev / 256),
          devminor: st.rdev % 256,
        });
    }
  };
  walk('');
  return out;
}
