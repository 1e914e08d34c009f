// Content-addressed blob store: blobs/sha256/<hex>. Every write is hashed while streaming into a temp file
// and renamed into place only when the digest matches, so a reader never sees partial or wrong content.
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestMismatchError } from './errors';

export function sha256(data: Buffer | string): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

export class BlobStore {
  constructor(readonly root: string) {}

  path(digest: string): string {
    const [alg, hex] = digest.split(':');
    if (alg !== 'sha256' || !/^[a-f0-9]{64}$/.test(hex ?? ''))
      throw new DigestMismatchError('sha256:<64 hex>', digest, 'unsupported digest');
    return path.join(this.root, 'blobs', 'sha256', hex);
  }

  has(digest: string): boolean {
    return fs.existsSync(this.path(digest));
  }

  read(digest: string): Buffer {
    return fs.readFileSync(this.path(digest));
  }

  private tmp(): string {
    const dir = path.join(this.root, 'tmp');
    fs.mkdirSync(dir, { recursive: true });
    return path.join(dir, randomBytes(8).toString('hex'));
  }

  /** Stores bytes known in memory, after checking them against `digest` (if given). */
  writeBuffer(data: Buffer, digest?: string): string {
    const actual = sha256(data);
    if (digest && digest !== actual) throw new DigestMismatchError(digest, actual, 'blob');
    const dst = this.path(actual);
    if (fs.existsSync(dst)) return actual;
    fs.mkdirSync(path.dirname(dst), { recursive: true });
    const tmp = this.tmp();
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, dst);
    return actual;
  }

  /** Streams into the store; throws DigestMismatchError (and keeps nothing) when the hash differs. */
  async writeStream(
    src: Readable | AsyncIterable<Uint8Array>,
    digest: string,
    onBytes?: (n: number) => void,
  ): Promise<void> {
    const dst = this.path(digest);
    const tmp = this.tmp();
    const hash = createHash('sha256');
    let n = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        n += chunk.length;
        onBytes?.(n);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(src, tap, fs.createWriteStream(tmp));
      const actual = 'sha256:' + hash.digest('hex');
      if (actual !== digest) throw new DigestMismatchError(digest, actual, 'blob');
      fs.mkdirSync(path.dirname(dst), { recursive: true });
      fs.renameSync(tmp, dst);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }

  /** Moves a file whose sha256 the caller has verified into the store (same filesystem). */
  adopt(file: string, digest: string): void {
    const dst = this.path(digest);
    fs.mkdirSync(path.dirname(dst), { recursive: true, mode: 0o700 });
    fs.renameSync(file, dst);
  }

  list(): string[] {
    const dir = path.join(this.root, 'blobs', 'sha256');
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir).map((h) => 'sha256:' + h);
  }

  remove(digest: string): void {
    fs.rmSync(this.path(digest), { force: true });
  }
}

/** Writes a file atomically (temp + rename in the same directory). */
export function writeFileAtomic(file: string, data: string | Buffer, mode = 0o644): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, data, { mode });
  fs.renameSync(tmp, file);
}
