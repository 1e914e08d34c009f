// Per-layer snapshots: snapshots/<chain-id hex>/ holds one layer unpacked in overlayfs form (whiteouts as
// char 0/0 devices, opaque dirs as trusted.overlay.opaque=y), so every image whose layer stack starts with
// the same layers shares the same dirs. Keyed by OCI chain id (a layer's identity including everything
// below it), like containerd. A snapshot appears by an atomic rename of a fully unpacked temp dir, so a
// reader never sees half a layer; two processes unpacking one layer at once both succeed, one copy stays.
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UnsafeLayerError } from './errors';
import { LayerLimits } from './limits';
import { applyLayer } from './unpack';

export interface LayerToUnpack {
  /** Uncompressed digest of the layer (or the blob digest when the config names none). */
  diffId: string;
  /** Blob digest, for verification messages. */
  digest: string;
  /** Path of the (compressed) blob. */
  blobPath: string;
  /** Whether diffId is a real diff id that the uncompressed stream must match. */
  verify: boolean;
}

/** OCI chain ids: chain(0) = diff(0); chain(n) = sha256(chain(n-1) + " " + diff(n)). */
export function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev ? 'sha256:' + createHash('sha256').update(`${prev} ${d}`).digest('hex') : d);
  }
  return out;
}

/** A hardlink into a lower layer that is not unpacked yet: redone once the lowers exist. */
function missingLink(e: unknown): boolean {
  return e instanceof UnsafeLayerError && e.rule === 'link-target-missing';
}
/** Room left in the 4 KiB mount option page for upperdir=, workdir= and the rest. */
const MAX_LOWERDIR_CHARS = 3000;

export class SnapshotStore {
  private readonly running = new Map<string, Promise<void>>();

  /** `linkDir`: where short links for long lowerdir lists go (kept short: <store root>/l). */
  constructor(
    readonly dir: string,
    readonly linkDir: string = path.join(dir, 'l'),
    private readonly limits?: LayerLimits,
  ) {}

  path(chainId: string): string {
    return path.join(this.dir, chainId.split(':')[1] ?? chainId);
  }

  /** A dir with nothing in it, the lower dir of an image with no layers. */
  empty(): string {
    const p = path.join(this.dir, 'empty');
    fs.mkdirSync(p, { recursive: true });
    return p;
  }

  has(chainId: string): boolean {
    return fs.existsSync(this.path(chainId));
  }

  /**
   * Makes sure every layer has its snapshot; returns the snapshot dirs bottom-most first. Missing layers
   * are unpacked in parallel; a layer that hardlinks into a lower one is redone once the lowers exist.
   */
  async ensure(layers: LayerToUnpack[]): Promise<string[]> {
    const ids = chainIds(layers.map((l) => l.diffId));
    const dirs = ids.map((c) => this.path(c));
    const todo = layers.map((_l, i) => i).filter((i) => !fs.existsSync(dirs[i]));
    const retry: number[] = [];
    // Every unpack settles before an error surfaces: no layer is still being written when ensure() fails.
    const settled = await Promise.allSettled(
      todo.map((i) =>
        this.unpackOne(ids[i], layers[i], dirs.slice(0, i).reverse()).catch((e: Error) => {
          if (!missingLink(e)) throw e;
          retry.push(i);
        }),
      ),
    );
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    for (const i of retry.sort((a, b) => a - b))
      await this.unpackOne(ids[i], layers[i], dirs.slice(0, i).reverse());
    return dirs;
  }

  /**
   * Unpacks layer `i` alone (its lowers may not exist yet). A layer that hardlinks into a lower one is
   * left for a later ensure(), which redoes it once the lowers exist. Resolves true when the snapshot exists.
   */
  async ensureOne(layers: LayerToUnpack[], i: number): Promise<boolean> {
    const ids = chainIds(layers.slice(0, i + 1).map((l) => l.diffId));
    const lowers = ids
      .slice(0, i)
      .map((c) => this.path(c))
      .reverse();
    try {
      await this.unpackOne(ids[i], layers[i], lowers);
      return true;
    } catch (e) {
      if (missingLink(e)) return false;
      throw e;
    }
  }

  private unpackOne(chainId: string, layer: LayerToUnpack, lowerDirs: string[]): Promise<void> {
    const dst = this.path(chainId);
    const inflight = this.running.get(dst);
    if (inflight) return inflight;
    const p = (async () => {
      if (fs.existsSync(dst)) return;
      fs.mkdirSync(this.dir, { recursive: true });
      const tmp = `${dst}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        await applyLayer(tmp, layer.blobPath, {
          overlay: true,
          lowerDirs,
          diffId: layer.verify ? layer.diffId : undefined,
          name: layer.digest,
          limits: this.limits,
        });
        try {
          fs.renameSync(tmp, dst);
        } catch (e) {
          // Another process finished the same snapshot first: keep theirs.
          const code = (e as NodeJS.ErrnoException).code;
          if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
        }
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    })().finally(() => this.running.delete(dst));
    this.running.set(dst, p);
    return p;
  }

  /**
   * The kernel takes mount options of one page (4096 bytes) at most, so `lowerdir=` of many long paths
   * does not fit. When the joined dirs get long, each is given as a short symlink <root>/l/<8 hex> to its
   * snapshot (overlayfs resolves the links at mount time), as docker's overlay2 driver does with its l/.
   */
  shortPaths(dirs: string[]): string[] {
    if (dirs.join(':').length <= MAX_LOWERDIR_CHARS) return dirs;
    fs.mkdirSync(this.linkDir, { recursive: true });
    return dirs.map((d) => {
      const name = path.basename(d);
      const target = path.relative(this.linkDir, d);
      // 8 hex chars, longer only on a clash of prefixes.
      for (const len of [8, 16, 64]) {
        const link = path.join(this.linkDir, name.slice(0, len));
        try {
          fs.symlinkSync(target, link);
          return link;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
          if (fs.readlinkSync(link) === target) return link;
        }
      }
      return d;
    });
  }

  /** Snapshot names (chain id hex) on disk; in-flight temp dirs are not listed. */
  list(): string[] {
    if (!fs.existsSync(this.dir)) return [];
    return fs.readdirSync(this.dir).filter((n) => /^[a-f0-9]{64}$/.test(n));
  }

  /** Deletes snapshots not in `keep` (chain id hex) and temp dirs older than an hour. Returns count. */
  prune(keep: Set<string>): number {
    let n = 0;
    for (const name of this.list()) {
      if (keep.has(name)) continue;
      fs.rmSync(path.join(this.dir, name), { recursive: true, force: true });
      n++;
    }
    const ldir = this.linkDir;
    if (fs.existsSync(ldir))
      for (const l of fs.readdirSync(ldir))
        if (!fs.existsSync(path.join(ldir, l))) fs.rmSync(path.join(ldir, l), { force: true });
    if (fs.existsSync(this.dir))
      for (const name of fs.readdirSync(this.dir).filter((x) => x.endsWith('.tmp'))) {
        const p = path.join(this.dir, name);
        if (Date.now() - fs.statSync(p).mtimeMs > 3600_000) fs.rmSync(p, { recursive: true, force: true });
      }
    return n;
  }
}
