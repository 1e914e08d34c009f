// Canaries outside every root: a directory tree of files, a subdirectory, a device-free set of modes, whose
// exact state (names, types, modes, owners, bytes, link targets) is fingerprinted before a hostile archive
// is fed to tsstack and compared after. Any write, delete, chmod or new file outside the root shows.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface Canary {
  /** The canary directory (absolute), what hostile archives aim at. */
  dir: string;
  /** A host file's content that must never appear in an error or in the store. */
  secret: string;
  fingerprint(): string;
  remove(): void;
}

function walk(root: string, rel: string, out: string[]): void {
  const p = path.join(root, rel);
  const st = fs.lstatSync(p);
  const head = `${rel}\t${st.mode.toString(8)}\t${st.uid}:${st.gid}`;
  if (st.isSymbolicLink()) out.push(`${head}\t-> ${fs.readlinkSync(p)}`);
  else if (st.isFile()) out.push(`${head}\t${createHash('sha256').update(fs.readFileSync(p)).digest('hex')}`);
  else if (st.isDirectory()) {
    out.push(head);
    for (const n of fs.readdirSync(p).sort()) walk(root, rel ? `${rel}/${n}` : n, out);
  } else out.push(`${head}\t${st.rdev}`);
}

export function makeCanary(): Canary {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsstack-canary-'));
  const secret = `root:canary-secret-${Math.random().toString(36).slice(2)}:0:0`;
  fs.writeFileSync(path.join(dir, 'file'), 'canary file\n');
  fs.writeFileSync(path.join(dir, 'shadow'), secret, { mode: 0o600 });
  fs.mkdirSync(path.join(dir, 'dir'));
  fs.writeFileSync(path.join(dir, 'dir', 'inner'), 'inner\n');
  fs.mkdirSync(path.join(dir, 'dir', 'sub'));
  fs.writeFileSync(path.join(dir, 'dir', 'sub', 'deep'), 'deep\n');
  for (let i = 0; i < 4; i++) fs.writeFileSync(path.join(dir, `victim${i}`), `victim ${i}\n`);
  const fingerprint = (): string => {
    const out: string[] = [];
    walk(dir, '', out);
    return out.join('\n');
  };
  return { dir, secret, fingerprint, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Every path under `root` with its type (for "the store holds nothing new"), tmp/ included. */
export function treeOf(root: string): string[] {
  const out: string[] = [];
  if (fs.existsSync(root)) walk(root, '', out);
  return out.map((l) => l.split('\t')[0]);
}
