// Layer archives built byte by byte by the tests (no binary blobs in the repository): tar-stream writes the
// headers (ustar, with PAX records for long names and link targets), gzip and zstd on demand.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';

export interface Member {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';
  content?: string | Buffer;
  linkname?: string;
  mode?: number;
  devmajor?: number;
  devminor?: number;
  /** A file whose header claims this size while `content` is shorter (with truncate()). */
  size?: number;
}

export async function tarOf(members: Member[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(c);
  })();
  for (const m of members) {
    const type = m.type ?? 'file';
    const header = {
      name: m.name,
      type,
      mode: m.mode ?? (type === 'directory' ? 0o755 : 0o644),
      uid: 0,
      gid: 0,
      mtime: new Date(1_600_000_000_000),
      linkname: m.linkname,
      devmajor: m.devmajor,
      devminor: m.devminor,
    };
    if (type === 'file') pack.entry(header, m.content ?? '');
    else pack.entry(header);
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export function gzip(b: Buffer): Buffer {
  return gzipSync(b);
}

export function zstd(b: Buffer): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsstack-zst-'));
  try {
    fs.writeFileSync(path.join(dir, 'l'), b);
    execFileSync('zstd', ['-q', '-f', path.join(dir, 'l'), '-o', path.join(dir, 'l.zst')]);
    return fs.readFileSync(path.join(dir, 'l.zst'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
