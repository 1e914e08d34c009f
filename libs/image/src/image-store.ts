// ImageStore: the node-local image store. Blobs are content-addressed (blobs/sha256), references map to
// manifest digests in refs.json (atomic temp+rename under a cross-process lock), each layer is unpacked once
// into snapshots/<chain id> shared by every image that has it, and every container gets its own overlay
// upper/work dirs on top of its image's snapshots.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BlobStore, sha256, writeFileAtomic } from './blob-store';
import {
  DigestMismatchError,
  ImageInUseError,
  ImageNotFoundError,
  InvalidReferenceError,
  RegistryUnavailableError,
} from './errors';
import { parseReference } from './reference';
import { Credentials, RegistryClient } from './registry-client';
import { withFileLock } from './file-lock';
import { Lease, LeaseStore } from './lease-store';
import { chainIds, LayerToUnpack, SnapshotStore } from './snapshot-store';
import * as archive from './image-archive';
import { importImage, ImportOptions } from './import/import-image';
import { LayerLimits } from './limits';
import { ensurePrivateDir } from './private-dir';
import { hostPlatform } from './platform';
import {
  Descriptor,
  ImageConfig,
  ImageRecord,
  isIndex,
  MT,
  OciIndex,
  OciManifest,
  Platform,
  ProgressEvent,
  RootfsDirs,
} from './types';

export interface ImageStoreOptions {
  root?: string;
  insecureRegistries?: string[];
  /** JSON file { "<registry>": { "username", "password" } } (tsstack login writes it, mode 0600). */
  authFile?: string;
  retries?: number;
  /**
   * Docker's config.json read for credentials when the auth file has none (`auths.<host>.auth` or
   * username/password; credential helpers are not run). Default $DOCKER_CONFIG/config.json or
   * ~/.docker/config.json.
   */
  dockerConfig?: string;
  /** Limits on one layer (unpack, import); default layerLimitsFromEnv(). */
  limits?: LayerLimits;
}

function defaultDockerConfig(): string {
  return path.join(process.env.DOCKER_CONFIG ?? path.join(os.homedir(), '.docker'), 'config.json');
}

/** Looks `registry` up in a Docker config.json; docker.io also under https://index.docker.io/v1/. */
export function dockerConfigCredentials(file: string, registry: string): Credentials | undefined {
  let doc: { auths?: Record<string, { auth?: string; username?: string; password?: string }> };
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof doc;
  } catch {
    return undefined;
  }
  const keys = [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`];
  if (registry === 'docker.io') keys.push('https://index.docker.io/v1/', 'index.docker.io');
  for (const k of keys) {
    const e = doc.auths?.[k];
    if (!e) continue;
    if (e.username && e.password) return { username: e.username, password: e.password };
    if (e.auth) {
      const plain = Buffer.from(e.auth, 'base64').toString();
      const i = plain.indexOf(':');
      if (i > 0) return { username: plain.slice(0, i), password: plain.slice(i + 1) };
    }
  }
  return undefined;
}

export interface PullOptions {
  platform?: Platform;
  /** Unpack each layer into its snapshot as soon as its blob is in (overlaps download and unpack). */
  unpack?: boolean;
  onProgress?: (e: ProgressEvent) => void;
}

export type PullPolicy = 'always' | 'missing' | 'never';

const PARALLEL_DOWNLOADS = 4;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

function validReference(ref: string): boolean {
  try {
    return parseReference(ref).canonical === ref;
  } catch {
    return false;
  }
}

interface RefEntry {
  digest: string;
  createdAt: string;
}

export class ImageStore {
  readonly root: string;
  readonly blobs: BlobStore;
  private readonly inflight = new Map<string, Promise<ImageRecord>>();
  readonly snapshots: SnapshotStore;
  /** Content of operations in progress (pulls, builds) that prune must keep. */
  readonly leases: LeaseStore;

  constructor(private readonly opts: ImageStoreOptions = {}) {
    this.root = opts.root ?? '/var/lib/tsstack/images';
    this.blobs = new BlobStore(this.root);
    this.snapshots = new SnapshotStore(
      path.join(this.root, 'snapshots'),
      path.join(this.root, 'l'),
      opts.limits,
    );
    this.leases = new LeaseStore(path.join(this.root, 'leases'));
    ensurePrivateDir(this.root);
  }

  // ---- references -------------------------------------------------------------------------------------
  private refsFile(): string {
    return path.join(this.root, 'refs.json');
  }

  /** refs.json, keeping only well-formed entries: one bad entry must not break the whole store. */
  private readRefs(): Record<string, RefEntry> {
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(this.refsFile(), 'utf8'));
    } catch {
      return {};
    }
    const out: Record<string, RefEntry> = {};
    for (const [ref, e] of Object.entries((raw ?? {}) as Record<string, Partial<RefEntry>>))
      if (typeof e?.digest === 'string' && DIGEST.test(e.digest) && validReference(ref))
        out[ref] = { digest: e.digest, createdAt: String(e.createdAt ?? '') };
    return out;
  }

  /** Read-modify-write of refs.json under the store's cross-process lock. */
  private updateRefs<T>(fn: (refs: Record<string, RefEntry>) => T): Promise<T> {
    return withFileLock(this.refsFile(), () => {
      const refs = this.readRefs();
      const out = fn(refs);
      writeFileAtomic(this.refsFile(), JSON.stringify(refs, null, 2));
      return out;
    });
  }

  /** Points `reference` at a manifest already in the store. Safe against concurrent taggers. */
  async tag(reference: string, digest: string): Promise<void> {
    const canonical = parseReference(reference).canonical;
    if (!this.blobs.has(digest)) throw new ImageNotFoundError(digest, 'locally');
    await this.updateRefs((refs) => {
      refs[canonical] = { digest, createdAt: new Date().toISOString() };
    });
  }

  private record(reference: string, manifestDigest: string, createdAt: string): ImageRecord {
    const manifest = JSON.parse(this.blobs.read(manifestDigest).toString()) as OciManifest;
    const cfg = JSON.parse(this.blobs.read(manifest.config.digest).toString()) as {
      config?: ImageConfig;
      architecture?: string;
      os?: string;
    };
    return {
      reference,
      digest: manifestDigest,
      config: cfg.config ?? {},
      layers: manifest.layers,
      size: manifest.config.size + manifest.layers.reduce((a, l) => a + l.size, 0),
      architecture: cfg.architecture,
      os: cfg.os,
      createdAt,
    };
  }

  /** Looks an image up by reference (tag or digest) or by bare digest. */
  async get(ref: string): Promise<ImageRecord | undefined> {
    const refs = this.readRefs();
    if (/^sha256:[a-f0-9]{64}$/.test(ref)) {
      const hit = Object.entries(refs).find(([, e]) => e.digest === ref);
      return hit
        ? this.record(hit[0], ref, hit[1].createdAt)
        : this.blobs.has(ref)
          ? this.record(ref, ref, '')
          : undefined;
    }
    const canonical = parseReference(ref).canonical;
    const e = refs[canonical];
    if (e && this.blobs.has(e.digest)) return this.record(canonical, e.digest, e.createdAt);
    const p = parseReference(ref);
    if (p.digest && this.blobs.has(p.digest)) return this.record(canonical, p.digest, '');
    return undefined;
  }

  /** Every tagged image whose manifest and config are readable (one that is not is left out, not fatal). */
  async list(): Promise<ImageRecord[]> {
    const out: ImageRecord[] = [];
    for (const [r, e] of Object.entries(this.readRefs())) {
      if (!this.blobs.has(e.digest)) continue;
      try {
        out.push(this.record(r, e.digest, e.createdAt));
      } catch {
        /* a damaged image: `image rm` still removes its reference */
      }
    }
    return out;
  }

  // ---- pull -------------------------------------------------------------------------------------------
  /** Credentials from `tsstack login`'s file first, then from an existing Docker config.json. */
  private credentials(registry: string): Credentials | undefined {
    if (this.opts.authFile && fs.existsSync(this.opts.authFile)) {
      const all = JSON.parse(fs.readFileSync(this.opts.authFile, 'utf8')) as Record<string, Credentials>;
      if (all[registry]) return all[registry];
    }
    return dockerConfigCredentials(this.opts.dockerConfig ?? defaultDockerConfig(), registry);
  }

  client(registry: string): RegistryClient {
    const insecure = (this.opts.insecureRegistries ?? []).includes(registry);
    return new RegistryClient(registry, {
      insecure,
      credentials: this.credentials(registry),
      retries: this.opts.retries,
    });
  }

  /** Pulls an image; concurrent pulls of one reference share a single download. */
  pull(ref: string, opts: PullOptions = {}): Promise<ImageRecord> {
    const key = parseReference(ref).canonical;
    const running = this.inflight.get(key);
    if (running) return running;
    const p = this.doPull(ref, opts).finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  private async doPull(ref: string, opts: PullOptions): Promise<ImageRecord> {
    const r = parseReference(ref);
    const client = this.client(r.registry);
    const progress = opts.onProgress ?? (() => undefined);
    progress({ phase: 'resolve' });
    let m = await client.getManifest(r.repository, r.digest ?? (r.tag as string));
    let doc = JSON.parse(m.body.toString()) as OciManifest & OciIndex;
    const topDigest = sha256(m.body);
    if (r.digest && topDigest !== r.digest) {
      throw new DigestMismatchError(r.digest, topDigest, 'manifest');
    }
    const pending: Array<[Buffer, string]> = [[m.body, topDigest]];
    if (isIndex(m.mediaType || doc.mediaType, doc)) {
      const want = opts.platform ?? hostPlatform();
      const d = doc.manifests.find(
        (x) =>
          x.platform?.os === want.os &&
          x.platform?.architecture === want.architecture &&
          (!want.variant || x.platform?.variant === want.variant),
      );
      if (!d)
        throw new ImageNotFoundError(
          `${r.canonical} for ${want.os}/${want.architecture}`,
          'in the image index (no matching platform)',
        );
      m = await client.getManifest(r.repository, d.digest);
      const got = sha256(m.body);
      if (got !== d.digest) {
        throw new DigestMismatchError(d.digest, got, 'platform manifest');
      }
      doc = JSON.parse(m.body.toString()) as OciManifest & OciIndex;
      pending.push([m.body, got]);
    }
    const manifest = doc as OciManifest;
    const manifestDigest = pending[pending.length - 1][1];
    // Until the tag is written, a prune in another process must not take what this pull brings in.
    const lease = this.leases.create();
    try {
      lease.add([
        ...pending.map(([, d]) => d),
        manifest.config.digest,
        ...manifest.layers.map((l) => l.digest),
      ]);
      return await this.pullContent(
        client,
        r.repository,
        r.canonical,
        manifest,
        manifestDigest,
        pending,
        opts,
        lease,
      );
    } finally {
      lease.release();
    }
  }

  private async pullContent(
    client: RegistryClient,
    repository: string,
    reference: string,
    manifest: OciManifest,
    manifestDigest: string,
    pending: Array<[Buffer, string]>,
    opts: PullOptions,
    lease: Lease,
  ): Promise<ImageRecord> {
    const progress = opts.onProgress ?? (() => undefined);
    // The config first (it names the diff ids), then the layers in parallel (at most PARALLEL_DOWNLOADS
    // at a time), each verified on its own and, with `unpack`, unpacked as soon as it is in.
    if (!this.blobs.has(manifest.config.digest))
      await this.downloadBlob(client, repository, manifest.config, progress);
    const layers = opts.unpack ? this.layersFrom(manifest) : [];
    if (opts.unpack) lease.add([], chainIds(layers.map((l) => l.diffId)));
    const unpacks: Array<Promise<unknown>> = [];
    const afterBlob = (i: number): void => {
      if (opts.unpack) unpacks.push(this.snapshots.ensureOne(layers, i));
    };
    const todo = manifest.layers.map((l, i) => [l, i] as const);
    let failed = false;
    const workers = Array.from({ length: Math.min(PARALLEL_DOWNLOADS, todo.length) }, async () => {
      for (let job = todo.shift(); job && !failed; job = todo.shift()) {
        const [blob, i] = job;
        if (!this.blobs.has(blob.digest)) {
          progress({ phase: 'download', digest: blob.digest, bytes: 0, total: blob.size });
          await this.downloadBlob(client, repository, blob, progress).catch((e: unknown) => {
            failed = true;
            throw e;
          });
        }
        afterBlob(i);
      }
    });
    // Wait for every worker, so no temp file is still being written when the error surfaces.
    const results = await Promise.allSettled([...workers]);
    const settled = await Promise.allSettled(unpacks);
    const bad = [...results, ...settled].find((x): x is PromiseRejectedResult => x.status === 'rejected');
    if (bad) throw bad.reason;
    if (opts.unpack) await this.snapshots.ensure(layers);
    // Manifests last: an image is visible only once all its content is present and verified.
    for (const [buf, dg] of pending) this.blobs.writeBuffer(buf, dg);
    await this.tag(reference, manifestDigest);
    progress({ phase: 'done', digest: manifestDigest });
    return (await this.get(reference)) as ImageRecord;
  }

  private async downloadBlob(
    client: RegistryClient,
    repo: string,
    blob: Descriptor,
    progress: (e: ProgressEvent) => void,
  ): Promise<void> {
    const attempts = 3;
    for (let i = 1; ; i++) {
      try {
        const stream = await client.getBlob(repo, blob.digest);
        await this.blobs.writeStream(stream, blob.digest, (n) =>
          progress({ phase: 'download', digest: blob.digest, bytes: n, total: blob.size }),
        );
        return;
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (
          i >= attempts ||
          code === 'IMAGE_DIGEST_MISMATCH' ||
          code === 'IMAGE_REGISTRY_AUTH' ||
          code === 'IMAGE_NOT_FOUND'
        ) {
          if (code && code.startsWith('IMAGE_')) throw e;
          throw new RegistryUnavailableError(
            client.registry,
            `blob ${blob.digest} download failed after ${i} attempts: ${(e as Error).message}`,
            e,
          );
        }
        await new Promise((r) => setTimeout(r, 200 * i));
      }
    }
  }

  /**
   * Makes an image present for containers by pull policy. A pull here also unpacks the layers as they
   * arrive (`unpack` defaults to true), so the prepareRootfs that follows finds its snapshots ready.
   */
  async ensure(ref: string, policy: PullPolicy, opts: PullOptions = {}): Promise<ImageRecord> {
    const pullOpts = { unpack: true, ...opts };
    if (policy === 'always') return this.pull(ref, pullOpts);
    const have = await this.get(ref);
    if (have) return have;
    if (policy === 'never') throw new ImageNotFoundError(ref, 'locally and pull policy is "never"');
    return this.pull(ref, pullOpts);
  }

  // ---- push -------------------------------------------------------------------------------------------
  async push(
    ref: string,
    opts: { onProgress?: (e: ProgressEvent) => void; as?: string } = {},
  ): Promise<string> {
    const img = await this.get(ref);
    if (!img) throw new ImageNotFoundError(ref, 'locally');
    const target = parseReference(opts.as ?? ref);
    const client = this.client(target.registry);
    const manifestBuf = this.blobs.read(img.digest);
    const manifest = JSON.parse(manifestBuf.toString()) as OciManifest;
    const sources = this.reposWithBlobs(target.registry, target.repository);
    for (const blob of [...manifest.layers, manifest.config]) {
      opts.onProgress?.({ phase: 'upload', digest: blob.digest, total: blob.size });
      const how = await client.putBlob(
        target.repository,
        blob.digest,
        this.blobs.path(blob.digest),
        sources.get(blob.digest) ?? [],
      );
      opts.onProgress?.({ phase: 'upload', digest: blob.digest, bytes: blob.size, total: blob.size, how });
    }
    await client.putManifest(
      target.repository,
      target.tag ?? img.digest,
      manifest.mediaType ?? MT.ociManifest,
      manifestBuf,
    );
    opts.onProgress?.({ phase: 'done', digest: img.digest });
    return img.digest;
  }

  /** Other repositories of `registry` that local references say hold each blob (for cross-repo mounts). */
  private reposWithBlobs(registry: string, except: string): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const [ref, e] of Object.entries(this.readRefs())) {
      const r = parseReference(ref);
      if (r.registry !== registry || r.repository === except || !this.blobs.has(e.digest)) continue;
      const m = JSON.parse(this.blobs.read(e.digest).toString()) as OciManifest;
      if (!m.layers) continue;
      for (const d of [m.config.digest, ...m.layers.map((l) => l.digest)])
        if (!out.get(d)?.includes(r.repository)) out.set(d, [...(out.get(d) ?? []), r.repository]);
    }
    return out;
  }

  // ---- import / export (import/, image-archive.ts) -------------------------------------------------
  /**
   * Imports a docker-save archive, an OCI archive or layout directory, or a rootfs tar (found by looking, or
   * `format`), validated whole before anything is stored or tagged.
   */
  import(src: string, opts: ImportOptions = {}): Promise<ImageRecord> {
    return importImage(this, src, { limits: this.opts.limits, ...opts });
  }

  /** Imports an OCI image layout (dir or tar); `ref` overrides the reference its index annotates. */
  importOciLayout(dirOrTar: string, ref?: string): Promise<ImageRecord> {
    return this.import(dirOrTar, { ref, format: 'oci' });
  }

  /** Imports a `docker save` archive (manifest.json + config + layer tars). */
  importDockerArchive(tarFile: string, ref?: string): Promise<ImageRecord> {
    return this.import(tarFile, { ref, format: 'docker' });
  }

  /** Imports a plain root filesystem tarball as a one-layer image, like `docker import`. */
  importRootfsTar(tarFile: string, ref: string, config: ImageConfig = {}): Promise<ImageRecord> {
    return this.import(tarFile, { ref, format: 'rootfs', config });
  }

  /** Writes a `docker save` archive that `docker load` and importDockerArchive read. */
  exportDockerArchive(ref: string, file: string): Promise<void> {
    return archive.exportDockerArchive(this, ref, file);
  }

  /** Writes an OCI image layout directory, or a tar of one when `target` ends in .tar. */
  exportOciLayout(ref: string, target: string): Promise<void> {
    return archive.exportOciLayout(this, ref, target);
  }

  // ---- rootfs -----------------------------------------------------------------------------------------
  /** The layers of an image with their diff ids (from the config; the blob digest when it names none). */
  private layersOf(manifestDigest: string): LayerToUnpack[] {
    return this.layersFrom(JSON.parse(this.blobs.read(manifestDigest).toString()) as OciManifest);
  }

  private layersFrom(manifest: OciManifest): LayerToUnpack[] {
    const cfg = JSON.parse(this.blobs.read(manifest.config.digest).toString()) as {
      rootfs?: { diff_ids?: string[] };
    };
    const diffIds = cfg.rootfs?.diff_ids ?? [];
    const known = diffIds.length === manifest.layers.length;
    return manifest.layers.map((l, i) => ({
      digest: l.digest,
      diffId: known ? diffIds[i] : l.digest,
      blobPath: this.blobs.path(l.digest),
      verify: known,
    }));
  }

  /** Chain ids (hex) of an image's layers, bottom-most first. */
  snapshotIds(manifestDigest: string): string[] {
    return chainIds(this.layersOf(manifestDigest).map((l) => l.diffId)).map((c) => c.split(':')[1]);
  }

  /**
   * Unpacks (once per layer, shared by all images and containers) the image's layer snapshots. Returns the
   * overlay lower dirs TOP-MOST FIRST, the order of overlayfs `lowerdir=` (the last layer first, the base
   * layer last). An image without layers gets one empty dir.
   */
  async unpack(manifestDigest: string): Promise<string[]> {
    const layers = this.layersOf(manifestDigest);
    if (layers.length === 0) return [this.snapshots.empty()];
    return this.snapshots.shortPaths((await this.snapshots.ensure(layers)).reverse());
  }

  private containerDir(containerId: string): string {
    if (!/^[\w.-]+$/.test(containerId))
      throw new InvalidReferenceError(containerId, 'container id must be [A-Za-z0-9_.-]');
    return path.join(this.root, 'containers', containerId);
  }

  /** Per-container overlay dirs over the image rootfs; the runtime mounts them. Idempotent. */
  async prepareRootfs(ref: string, containerId: string): Promise<RootfsDirs> {
    const img = await this.get(ref);
    if (!img) throw new ImageNotFoundError(ref, 'locally');
    const dir = this.containerDir(containerId);
    // The marker first: from now on prune keeps this image's blobs and snapshots.
    writeFileAtomic(path.join(dir, 'image'), img.digest);
    const lowerDirs = await this.unpack(img.digest);
    const upperDir = path.join(dir, 'upper');
    const workDir = path.join(dir, 'work');
    await Promise.all([upperDir, workDir].map((d) => fs.promises.mkdir(d, { recursive: true })));
    return { lowerDirs, upperDir, workDir };
  }

  /** Off the event loop: an agent removes a batch of containers while it starts the next one. */
  async releaseRootfs(containerId: string): Promise<void> {
    await fs.promises.rm(this.containerDir(containerId), { recursive: true, force: true });
  }

  private usersOf(digest: string): string[] {
    const dir = path.join(this.root, 'containers');
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir).filter((c) => {
      try {
        return fs.readFileSync(path.join(dir, c, 'image'), 'utf8') === digest;
      } catch {
        return false;
      }
    });
  }

  /** Removes a reference; blobs go away with prune(). */
  async remove(ref: string): Promise<void> {
    const img = await this.get(ref).catch(() => this.brokenRef(ref));
    if (!img) throw new ImageNotFoundError(ref, 'locally');
    await this.updateRefs((refs) => {
      const others = Object.entries(refs).filter(([r, e]) => e.digest === img.digest && r !== img.reference);
      if (others.length === 0) {
        const users = this.usersOf(img.digest);
        if (users.length) throw new ImageInUseError(img.reference, users);
      }
      delete refs[img.reference];
    });
  }

  /** A tagged reference whose image cannot be read, as far as remove() needs it. */
  private brokenRef(ref: string): { reference: string; digest: string } | undefined {
    const canonical = parseReference(ref).canonical;
    const e = this.readRefs()[canonical];
    return e ? { reference: canonical, digest: e.digest } : undefined;
  }

  /** Manifest digests in use: referenced by a tag or by a container's marker. */
  private usedImages(): Map<string, string[]> {
    const users = new Map<string, string[]>();
    const add = (d: string, who: string): void => void users.set(d, [...(users.get(d) ?? []), who]);
    for (const [r, e] of Object.entries(this.readRefs())) add(e.digest, r);
    const cdir = path.join(this.root, 'containers');
    if (fs.existsSync(cdir))
      for (const c of fs.readdirSync(cdir)) {
        try {
          add(fs.readFileSync(path.join(cdir, c, 'image'), 'utf8'), `container ${c}`);
        } catch {
          /* a container dir without image marker keeps nothing */
        }
      }
    return users;
  }

  /** Reference count of every snapshot on disk: how many images (tags) and containers use it. */
  snapshotUsage(): Map<string, number> {
    const count = new Map<string, number>(this.snapshots.list().map((s) => [s, 0]));
    for (const [d, users] of this.usedImages()) {
      if (!this.blobs.has(d)) continue;
      for (const s of this.snapshotIds(d)) count.set(s, (count.get(s) ?? 0) + users.length);
    }
    return count;
  }

  /** Deletes blobs and snapshots no reference or container needs (under the refs lock). */
  async prune(): Promise<{ removedBlobs: number; freedBytes: number; removedSnapshots: number }> {
    return withFileLock(this.refsFile(), () => {
      const leased = this.leases.active();
      const keep = new Set<string>(leased.blobs);
      for (const d of this.usedImages().keys()) {
        if (!this.blobs.has(d)) continue;
        keep.add(d);
        const doc = JSON.parse(this.blobs.read(d).toString()) as OciManifest;
        keep.add(doc.config.digest);
        for (const l of doc.layers) keep.add(l.digest);
      }
      let removedBlobs = 0;
      let freedBytes = 0;
      for (const b of this.blobs.list()) {
        if (keep.has(b)) continue;
        freedBytes += fs.statSync(this.blobs.path(b)).size;
        this.blobs.remove(b);
        removedBlobs++;
      }
      const used = [...this.snapshotUsage()].filter(([, n]) => n > 0).map(([s]) => s);
      const removedSnapshots = this.snapshots.prune(new Set([...used, ...leased.snapshots]));
      return { removedBlobs, freedBytes, removedSnapshots };
    });
  }
}
