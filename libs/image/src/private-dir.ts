// The store is root's alone: images carry setuid binaries and device nodes, and containers' upper dirs hold
// what their processes wrote, so no other user may even list it (the class of CVE-2021-41091). A store
// made by an older tsstack with 0755 is tightened when opened.
import * as fs from 'node:fs';

export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = fs.statSync(dir);
  if ((st.mode & 0o077) !== 0 && st.uid === process.getuid?.()) fs.chmodSync(dir, st.mode & 0o7700);
}
