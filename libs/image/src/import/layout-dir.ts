// An OCI image layout directory as a member source. Only the names the layout's own documents lead to are
// read (index.json, oci-layout, blobs/sha256/<hex> of validated digests), every component must be a real
// directory and the member a regular file (opened with O_NOFOLLOW), and each is copied into the store's
// tmp/ while hashed, so what is verified is exactly what is stored.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ImageArchiveError } from '../errors';
import { LayerLimits } from '../limits';
import { archiveName, NameError } from './archive-names';
import { MemberSource, StagedMember } from './staged-archive';

function openRegular(dir: string, rel: string): number | string {
  let cur = dir;
  for (const part of rel.split('/').slice(0, -1)) {
    cur = path.join(cur, part);
    const st = fs.lstatSync(cur, { throwIfNoEntry: false });
    if (!st) return 'no such member';
    if (!st.isDirectory()) return 'a path component is not a directory (symlinks are not followed)';
  }
  let fd: number;
  try {
    fd = fs.openSync(path.join(dir, rel), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT'
      ? 'no such member'
      : code === 'ELOOP'
        ? 'a symlink, not a regular file'
        : `cannot be opened (${code})`;
  }
  if (!fs.fstatSync(fd).isFile()) {
    fs.closeSync(fd);
    return 'not a regular file';
  }
  return fd;
}

export function layoutDirSource(dir: string, stageDir: string, limits: LayerLimits): MemberSource {
  const staged = new Map<string, StagedMember>();
  const clean = (name: string, field: string): string => {
    try {
      return archiveName(name, false);
    } catch (e) {
      if (e instanceof NameError) throw new ImageArchiveError(dir, name, e.rule, `${field}: ${e.why}`);
      throw e;
    }
  };
  return {
    label: dir,
    has: (name) => {
      const got = openRegular(dir, clean(name, ''));
      if (typeof got === 'number') fs.closeSync(got);
      return typeof got === 'number';
    },
    member: async (name, field) => {
      const rel = clean(name, field);
      const done = staged.get(rel);
      if (done) return done;
      const fd = openRegular(dir, rel);
      if (typeof fd === 'string') throw new ImageArchiveError(dir, name, 'member-missing', `${field}: ${fd}`);
      const dst = path.join(stageDir, String(staged.size));
      const hash = createHash('sha256');
      let size = 0;
      const tap = new Transform({
        transform(chunk: Buffer, _e, cb) {
          size += chunk.length;
          if (size > limits.maxBytes)
            return cb(
              new ImageArchiveError(
                dir,
                name,
                'too-large',
                `more than ${limits.maxBytes} bytes (TSSTACK_MAX_LAYER_BYTES)`,
              ),
            );
          hash.update(chunk);
          cb(null, chunk);
        },
      });
      await pipeline(
        fs.createReadStream('', { fd }),
        tap,
        fs.createWriteStream(dst, { mode: 0o600, flags: 'wx' }),
      );
      const m = { file: dst, size, digest: 'sha256:' + hash.digest('hex') };
      staged.set(rel, m);
      return m;
    },
  };
}
