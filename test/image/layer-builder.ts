// Test helper: crafts layer tars (tar-stream) and stores images made of them straight into an ImageStore
// (blobs + config with diff ids + manifest + tag), so tests control every layer byte.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { ImageConfig, ImageStore, MT, OciManifest } from '@tsstack/image';

export interface Entry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  content?: string | Buffer;
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
}

export async function makeTar(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  for (const e of entries) {
    const type = e.type ?? 'file';
    const mode = e.mode ?? (type === 'directory' ? 0o755 : 0o644);
    const h = {
      name: e.name,
      type,
      mode,
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      mtime: new Date(1_600_000_000_000),
    };
    if (type === 'file') pack.entry(h, e.content ?? '');
    else pack.entry({ ...h, linkname: e.linkname });
  }
  pack.finalize();
  for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

function sha(b: Buffer): string {
  return 'sha256:' + createHash('sha256').update(b).digest('hex');
}

/** Stores an image of the given layers under `ref`; returns its manifest digest. */
export async function storeImage(
  store: ImageStore,
  ref: string,
  layers: Entry[][],
  config: ImageConfig = {},
  opts: { badDiffId?: boolean } = {},
): Promise<string> {
  const tars = await Promise.all(layers.map((l) => makeTar(l)));
  const descs = tars.map((t) => {
    const gz = gzipSync(t);
    return { mediaType: MT.ociLayerGzip, digest: store.blobs.writeBuffer(gz), size: gz.length };
  });
  const diffIds = tars.map((t) => (opts.badDiffId ? sha(Buffer.concat([t, Buffer.from('x')])) : sha(t)));
  const cfg = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config,
      rootfs: { type: 'layers', diff_ids: diffIds },
    }),
  );
  const manifest: OciManifest = {
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    config: { mediaType: MT.ociConfig, digest: store.blobs.writeBuffer(cfg), size: cfg.length },
    layers: descs,
  };
  const digest = store.blobs.writeBuffer(Buffer.from(JSON.stringify(manifest)));
  await store.tag(ref, digest);
  return digest;
}
