// Helpers of COPY/ADD sources: archive detection for ADD, URL downloads for ADD, and --chown names
// resolved in the image's own /etc/passwd and /etc/group.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveInRoot } from '../safe-path';
import { detectCompression } from '../unpack';

export function isArchive(file: string): boolean {
  const st = fs.statSync(file);
  if (!st.isFile() || st.size < 4) return false;
  const fd = fs.openSync(file, 'r');
  const head = Buffer.alloc(512);
  fs.readSync(fd, head, 0, Math.min(512, st.size), 0);
  fs.closeSync(fd);
  return detectCompression(head) !== 'none' || head.subarray(257, 262).toString() === 'ustar';
}

export async function download(url: string, dir: string, destRaw: string): Promise<string> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`ADD ${url}: HTTP ${res.status}`);
  const name = destRaw.endsWith('/')
    ? path.posix.basename(new URL(url).pathname) || 'index.html'
    : path.posix.basename(destRaw);
  const file = path.join(dir, name);
  fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()), { mode: 0o600 });
  return file;
}

/** "user[:group]" by name (from the image's /etc/passwd and /etc/group) or number. */
export function resolveOwner(spec: string, view: string | undefined): { uid: number; gid: number } {
  const [u, g] = spec.split(':');
  const table = (f: string): string[][] => {
    if (!view) return [];
    // The image's own /etc, symlinks followed inside the view: never the host's.
    const p = resolveInRoot(view, `etc/${f}`, true);
    return fs.existsSync(p)
      ? fs
          .readFileSync(p, 'utf8')
          .split('\n')
          .map((l) => l.split(':'))
      : [];
  };
  let uid: number;
  let primary: number | undefined;
  if (/^\d+$/.test(u)) uid = Number(u);
  else {
    const row = table('passwd').find((r) => r[0] === u);
    if (!row) throw new Error(`--chown user "${u}" is not in the image's /etc/passwd`);
    uid = Number(row[2]);
    primary = Number(row[3]);
  }
  if (g === undefined) return { uid, gid: primary ?? uid };
  if (/^\d+$/.test(g)) return { uid, gid: Number(g) };
  const row = table('group').find((r) => r[0] === g);
  if (!row) throw new Error(`--chown group "${g}" is not in the image's /etc/group`);
  return { uid, gid: Number(row[2]) };
}
