// A plain root filesystem tar (`docker import`): one layer whose diff id is the hash of its uncompressed
// stream (known from the listing pass, which also refused any ".." member), stored as is, with a config
// made here.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sha256 } from '../blob-store';
import { hostPlatform } from '../platform';
import { ImageConfig, MT, OciManifest } from '../types';
import { layerMediaTypeOf } from '../unpack';
import { ImportPlan } from './commit';
import { ArchiveListing } from './staged-archive';

async function stageCopy(
  file: string,
  stageDir: string,
): Promise<{ file: string; digest: string; size: number }> {
  const dst = path.join(stageDir, 'rootfs-layer');
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  await pipeline(fs.createReadStream(file), tap, fs.createWriteStream(dst, { mode: 0o600, flags: 'wx' }));
  return { file: dst, digest: 'sha256:' + hash.digest('hex'), size };
}

export async function importRootfs(
  file: string,
  stageDir: string,
  listing: ArchiveListing,
  reference: string,
  config: ImageConfig,
): Promise<ImportPlan> {
  const layer = await stageCopy(file, stageDir);
  const cfg = Buffer.from(
    JSON.stringify({
      architecture: hostPlatform().architecture,
      os: 'linux',
      config,
      rootfs: { type: 'layers', diff_ids: [listing.streamDigest] },
    }),
  );
  const manifest: OciManifest = {
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    config: { mediaType: MT.ociConfig, digest: sha256(cfg), size: cfg.length },
    layers: [{ mediaType: layerMediaTypeOf(file), digest: layer.digest, size: layer.size }],
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  return {
    blobs: [
      { digest: layer.digest, file: layer.file },
      { digest: sha256(cfg), bytes: cfg },
      { digest: sha256(bytes), bytes },
    ],
    manifestDigest: sha256(bytes),
    reference,
  };
}
