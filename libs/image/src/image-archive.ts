// Export of whole images: OCI image layouts (dir or tar) and `docker save` archives, which import/ reads
// back. Functions over the store's blobs and references; ImageStore exposes them as methods.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { writeFileAtomic } from './blob-store';
import { ImageNotFoundError } from './errors';
import { ArchiveStore } from './import/commit';
import { parseReference } from './reference';
import { MT, OciIndex, OciManifest } from './types';
import { decompressedStream, diffIdOf } from './unpack';

/** What export needs of the store. */
type ExportStore = Pick<ArchiveStore, 'root' | 'blobs' | 'get'>;

/**
 * Writes a `docker save` archive (manifest.json, <config hex>.json, <diff id hex>/layer.tar with
 * uncompressed layers, repositories) that `docker load` and importDockerArchive read.
 */
export async function exportDockerArchive(store: ExportStore, ref: string, file: string): Promise<void> {
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
export async function exportOciLayout(store: ExportStore, ref: string, target: string): Promise<void> {
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
