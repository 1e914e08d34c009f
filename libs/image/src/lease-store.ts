// Leases: content an operation in progress needs but no reference names yet (a pull before its tag, a build
// before its commit). leases/<pid>.<random>.json lists blob digests and snapshot names; prune keeps what a
// lease of a running process lists and deletes leases whose process is gone. Cross-process by design.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from './blob-store';

interface LeaseFile {
  pid: number;
  blobs: string[];
  snapshots: string[];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class Lease {
  private readonly blobs = new Set<string>();
  private readonly snapshots = new Set<string>();

  constructor(readonly file: string) {}

  /** Adds content to the lease (written at once). */
  add(blobs: string[], snapshots: string[] = []): void {
    for (const b of blobs) this.blobs.add(b);
    for (const s of snapshots) this.snapshots.add(s.replace(/^sha256:/, ''));
    const doc: LeaseFile = { pid: process.pid, blobs: [...this.blobs], snapshots: [...this.snapshots] };
    writeFileAtomic(this.file, JSON.stringify(doc));
  }

  release(): void {
    fs.rmSync(this.file, { force: true });
  }
}

export class LeaseStore {
  constructor(readonly dir: string) {}

  create(): Lease {
    fs.mkdirSync(this.dir, { recursive: true });
    const lease = new Lease(path.join(this.dir, `${process.pid}.${randomBytes(6).toString('hex')}.json`));
    lease.add([]);
    return lease;
  }

  /** What live leases hold; leases of dead processes are deleted on the way. */
  active(): { blobs: Set<string>; snapshots: Set<string> } {
    const blobs = new Set<string>();
    const snapshots = new Set<string>();
    if (!fs.existsSync(this.dir)) return { blobs, snapshots };
    for (const name of fs.readdirSync(this.dir).filter((n) => n.endsWith('.json'))) {
      const file = path.join(this.dir, name);
      let doc: LeaseFile;
      try {
        doc = JSON.parse(fs.readFileSync(file, 'utf8')) as LeaseFile;
      } catch {
        continue; // being written or removed right now
      }
      if (!alive(doc.pid)) {
        fs.rmSync(file, { force: true });
        continue;
      }
      for (const b of doc.blobs) blobs.add(b);
      for (const s of doc.snapshots) snapshots.add(s);
    }
    return { blobs, snapshots };
  }
}
