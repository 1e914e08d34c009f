// Import and export of whole images: OCI image layouts (dir or tar) both ways, `docker save` archives both
// ways, and plain root filesystem tarballs in (like `docker import`). Functions over the store's blobs and
// references; ImageStore exposes them as methods.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { BlobStore, writeFileAtomic } from './blob-store';
import { ImageNotFoundError, InvalidReferenceError } from './errors';
import { hostPlatform } from './platform';
import { parseReference } from './reference';
import { Descriptor, ImageConfig, ImageRecord, isIndex, MT, OciIndex, OciManifest } from './types';
import { decompressedStream, diffIdOf } from './unpack';

/** What import/export needs of the store. */
export interface ArchiveStore {
  readonly root: string;
  readonly blobs: BlobStore;
  tag(reference: string, digest: string): Promise<void>;
  get(ref: string): Promise<ImageRecord | undefined>;
}

/** Imports an OCI image layout directory; `ref` overrides the org.opencontainers.image.ref.name tag. */
export async function importOciLayout(
  store: ArchiveStore,
  dirOrTar: string,
  ref?: string,
): Promise<ImageRecord> {
  if (fs.statSync(dirOrTar).isFile()) {
    const tmp = fs.mkdtempSync(path.join(store.root, 'tmp-import-'));
    try {
      execFileSync('tar', ['-xf', dirOrTar, '-C', tmp, '--no-same-owner']);
      return await importOciLayout(store, tmp, ref);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  const dir = dirOrTar;
  const readBlob = (d: string): Buffer => {
    const buf = fs.readFileSync(path.join(dir, 'blobs', ...d.split(':')));
    store.blobs.writeBuffer(buf, d);
    return buf;
  };
  const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as OciIndex;
  let desc = index.manifests[0];
  if (!desc) throw new ImageNotFoundError(dir, 'in the OCI layout (index.json has no manifests)');
  let doc = JSON.parse(
    fs.readFileSync(path.join(dir, 'blobs', ...desc.digest.split(':'))).toString(),
  ) as OciManifest & OciIndex;
  if (isIndex(desc.mediaType, doc)) {
    const want = hostPlatform();
    const inner = doc.manifests.find(
      (x) => !x.platform || (x.platform.os === want.os && x.platform.architecture === want.architecture),
    );
    if (!inner) throw new ImageNotFoundError(dir, 'for this platform in the OCI layout');
    readBlob(desc.digest);
    desc = { ...inner, annotations: desc.annotations };
    doc = JSON.parse(
      fs.readFileSync(path.join(dir, 'blobs', ...desc.digest.split(':'))).toString(),
    ) as OciManifest & OciIndex;
  }
  for (const b of [doc.config, ...doc.layers]) {
    if (store.blobs.has(b.digest)) continue;
    await store.blobs.writeStream(
      fs.createReadStream(path.join(dir, 'blobs', ...b.digest.split(':'))),
      b.digest,
    );
  }
  readBlob(desc.digest);
  const name = ref ?? desc.annotations?.['org.opencontainers.image.ref.name'];
  if (!name) throw new InvalidReferenceError('', 'the OCI layout names no image; pass a reference');
  const reference = parseReference(name).canonical;
  await store.tag(reference, desc.digest);
  return (await store.get(reference)) as ImageRecord;
}

/** Imports a `docker save` archive (manifest.json + config + layer tars). */
export async function importDockerArchive(
  store: ArchiveStore,
  tarFile: string,
  ref?: string,
): Promise<ImageRecord> {
  const tmp = fs.mkdtempSync(path.join(store.root, 'tmp-import-'));
  try {
    execFileSync('tar', ['-xf', tarFile, '-C', tmp, '--no-same-owner']);
    const entries = JSON.parse(fs.readFileSync(path.join(tmp, 'manifest.json'), 'utf8')) as Array<{
      Config: string;
      RepoTags?: string[];
      Layers: string[];
    }>;
    const e = entries[0];
    const cfgBuf = fs.readFileSync(path.join(tmp, e.Config));
    const config: Descriptor = {
      mediaType: MT.ociConfig,
      digest: store.blobs.writeBuffer(cfgBuf),
      size: cfgBuf.length,
    };
    const layers: Descriptor[] = [];
    for (const l of e.Layers) {
      const f = path.join(tmp, l);
      const buf = fs.readFileSync(f);
      layers.push({
        mediaType: 'application/vnd.oci.image.layer.v1.tar',
        digest: store.blobs.writeBuffer(buf),
        size: buf.length,
      });
    }
    const manifest: OciManifest = { schemaVersion: 2, mediaType: MT.ociManifest, config, layers };
    const mbuf = Buffer.from(JSON.stringify(manifest));
    const digest = store.blobs.writeBuffer(mbuf);
    const name = ref ?? e.RepoTags?.[0];
    if (!name) throw new InvalidReferenceError('', 'the archive names no image; pass a reference');
    const reference = parseReference(name).canonical;
    await store.tag(reference, digest);
    return (await store.get(reference)) as ImageRecord;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Imports a plain root filesystem tarball as a one-layer image with an empty config. */
export async function importRootfsTar(
  store: ArchiveStore,
  tarFile: string,
  ref: string,
  config: ImageConfig = {},
): Promise<ImageRecord> {
  const buf = fs.readFileSync(tarFile);
  const layerDigest = store.blobs.writeBuffer(buf);
  const cfg = {
    architecture: hostPlatform().architecture,
    os: 'linux',
    config,
    rootfs: { type: 'layers', diff_ids: [await diffIdOf(store.blobs.path(layerDigest))] },
  };
  const cfgBuf = Buffer.from(JSON.stringify(cfg));
  const manifest: OciManifest = {
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    config: { mediaType: MT.ociConfig, digest: store.blobs.writeBuffer(cfgBuf), size: cfgBuf.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: buf.length }],
  };
  const digest = store.blobs.writeBuffer(Buffer.from(JSON.stringify(manifest)));
  const reference = parseReference(ref).canonical;
  await store.tag(reference, digest);
  return (await store.get(reference)) as ImageRecord;
}

/**
 * Writes a `docker save` archive (manifest.json, <config hex>.json, <diff id hex>/layer.tar with
 * uncompressed layers, repositories) that `docker load` and importDockerArchive read.
 */
export async function exportDockerArchive(store: ArchiveStore, ref: string, file: string): Promise<void> {
  const img = await store.get(ref);
  if (!img) throw new ImageNotFoundError(ref, 'locally');
  const manifest = JSON.parse(store.blobs.read(img.digest).toString()) as OciManifest;
  const tmp = fs.mkdtempSync(path.join(store.root, 'tmp-export-'));
  try {
    const cfgHex = manifest.config.digest.split(':')[1];
    fs.copyFileSync(store.blobs.path(manifest.config.digest), path.join(tmp, `${cfgHex}.json`));
    const layerFiles: string[] = [];
    for (const l of manifest.layers) {
      const diffId = await diffIdOf(store.blobs.path(l.digest));
      const dir = diffId.split(':')[1];
      fs.mkdirSync(path.join(tmp, dir), { recursive: true });
      await pipeline(
        decompressedStream(store.blobs.path(l.digest)),
        fs.createWriteStream(path.join(tmp, dir, 'layer.tar')),
      );
      layerFiles.push(`${dir}/layer.tar`);
    }
    const p = parseReference(img.reference);
    const short =
      p.registry === 'docker.io' ? p.repository.replace(/^library\//, '') : `${p.registry}/${p.repository}`;
    const tags = p.tag && !/^sha256:/.test(img.reference) ? [`${short}:${p.tag}`] : [];
    fs.writeFileSync(
      path.join(tmp, 'manifest.json'),
      JSON.stringify([{ Config: `${cfgHex}.json`, RepoTags: tags, Layers: layerFiles }]),
    );
    if (tags.length)
      fs.writeFileSync(
        path.join(tmp, 'repositories'),
        JSON.stringify({ [short]: { [p.tag as string]: cfgHex } }),
      );
    const part = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    execFileSync('tar', ['-cf', part, '-C', tmp, '--owner=0', '--group=0', '.']);
    fs.renameSync(part, file);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Writes an image as an OCI image layout directory, or as a tar of one when `target` ends in .tar. */
export async function exportOciLayout(store: ArchiveStore, ref: string, target: string): Promise<void> {
  if (target.endsWith('.tar')) {
    const tmp = fs.mkdtempSync(path.join(store.root, 'tmp-export-'));
    try {
      await exportOciLayout(store, ref, tmp);
      const part = `${target}.${randomBytes(4).toString('hex')}.tmp`;
      execFileSync('tar', [
        '-cf',
        part,
        '-C',
        tmp,
        '--owner=0',
        '--group=0',
        'oci-layout',
        'index.json',
        'blobs',
      ]);
      fs.renameSync(part, target);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    return;
  }
  const dir = target;
  const img = await store.get(ref);
  if (!img) throw new ImageNotFoundError(ref, 'locally');
  const manifestBuf = store.blobs.read(img.digest);
  const manifest = JSON.parse(manifestBuf.toString()) as OciManifest;
  fs.mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  for (const d of [img.digest, manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) {
    fs.copyFileSync(store.blobs.path(d), path.join(dir, 'blobs', ...d.split(':')));
  }
  writeFileAtomic(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const index: OciIndex = {
    schemaVersion: 2,
    manifests: [
      {
        mediaType: manifest.mediaType ?? MT.ociManifest,
        digest: img.digest,
        size: manifestBuf.length,
        annotations: { 'org.opencontainers.image.ref.name': img.reference },
      },
    ],
  };
  writeFileAtomic(path.join(dir, 'index.json'), JSON.stringify(index));
}
