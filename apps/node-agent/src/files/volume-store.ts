// Named volumes of the local driver: a directory per volume at <stateDir>/volumes/<stack>_<name> (the layout
// tasks have always mounted), created on first use and kept across redeploys, with its metadata (stack, labels,
// creation time) beside it in volumes/.meta/<name>.json. Anonymous volumes (anon_<task>_<n>) belong to their
// task and go with its container.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { NodeVolume } from '@tsstack/model';

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const ANON_PREFIX = 'anon_';

export type StoredVolume = Omit<NodeVolume, 'usedBy'>;

interface VolumeMeta {
  stack?: string;
  createdAt: number;
  labels: Record<string, string>;
}

export class VolumeStore {
  constructor(readonly root: string) {}

  private metaFile(name: string): string {
    return path.join(this.root, '.meta', `${name}.json`);
  }

  private dirOf(name: string): string {
    if (!NAME_RE.test(name)) throw new Error(`volume name ${JSON.stringify(name)} is not valid`);
    return path.join(this.root, name);
  }

  /** Create the volume if it does not exist (idempotent: an existing volume and its data are kept). */
  async ensure(name: string, meta: { stack?: string; labels?: Record<string, string> }): Promise<string> {
    const dir = this.dirOf(name);
    await fs.mkdir(dir, { recursive: true });
    if (!name.startsWith(ANON_PREFIX)) {
      await fs.mkdir(path.dirname(this.metaFile(name)), { recursive: true });
      const m: VolumeMeta = { stack: meta.stack, createdAt: Date.now(), labels: meta.labels ?? {} };
      // 'wx': the first creation wins; a redeploy never rewrites the creation time.
      await fs
        .writeFile(this.metaFile(name), JSON.stringify(m), { flag: 'wx' })
        .catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'EEXIST') throw err;
        });
    }
    return dir;
  }

  /** Named volumes on this node (anonymous ones are their task's, not listed). */
  async list(): Promise<StoredVolume[]> {
    const entries = await fs.readdir(this.root, { withFileTypes: true }).catch(() => []);
    const out: StoredVolume[] = [];
    for (const e of entries) {
      if (!e.isDirectory() || e.name.startsWith('.') || e.name.startsWith(ANON_PREFIX)) continue;
      const meta = await this.readMeta(e.name);
      out.push({
        name: e.name,
        ...(meta?.stack ? { stack: meta.stack } : {}),
        driver: 'local',
        mountpoint: path.join(this.root, e.name),
        ...(meta ? { createdAt: meta.createdAt } : {}),
        labels: meta?.labels ?? {},
      });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  async exists(name: string): Promise<boolean> {
    return fs.stat(this.dirOf(name)).then(
      (s) => s.isDirectory(),
      () => false,
    );
  }

  /** Remove a volume and its data; false when there was none. */
  async remove(name: string): Promise<boolean> {
    const existed = await this.exists(name);
    await fs.rm(this.dirOf(name), { recursive: true, force: true });
    await fs.rm(this.metaFile(name), { force: true });
    return existed;
  }

  /** The anonymous volumes of one task (removed with its container). */
  async removeAnonymous(taskId: string): Promise<void> {
    const entries = await fs.readdir(this.root).catch(() => [] as string[]);
    const mine = entries.filter((n) => n.startsWith(`${ANON_PREFIX}${taskId}_`) && /_\d+$/.test(n));
    for (const n of mine) await fs.rm(path.join(this.root, n), { recursive: true, force: true });
  }

  private async readMeta(name: string): Promise<VolumeMeta | undefined> {
    try {
      return JSON.parse(await fs.readFile(this.metaFile(name), 'utf8')) as VolumeMeta;
    } catch {
      return undefined;
    }
  }
}
