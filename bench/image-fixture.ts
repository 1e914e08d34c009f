// Generates the bench:image test image: one layer of many small text files and BIG_LAYERS layers of large
// incompressible files (>= 50 MB compressed in all), stored straight into an ImageStore under a reference.
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { ImageStore, MT, OciManifest, sha256 } from '@tsstack/image';

export const BIG_LAYERS = 5;
const BIG_LAYER_BYTES = 12 << 20;
const SMALL_FILES = 3000;

async function tarOf(files: Array<{ name: string; data: Buffer }>): Promise<Buffer> {
  const pack = tar.pack();
  const dirs = new Set<string>();
  for (const f of files) {
    for (let d = path.posix.dirname(f.name); d !== '.'; d = path.posix.dirname(d)) dirs.add(d);
  }
  for (const d of [...dirs].sort()) pack.entry({ name: `${d}/`, type: 'directory', mode: 0o755 });
  for (const f of files) pack.entry({ name: f.name, mode: 0o644 }, f.data);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/** The multi-layer image (BIG_LAYERS + 1 layers), or the same files in one single large layer. */
export type ImageShape = 'layers' | 'single';

/** Generates the image's layers and stores the image in `store` as `ref`; returns total blob bytes. */
export async function generateImage(
  store: ImageStore,
  ref: string,
  shape: ImageShape = 'layers',
): Promise<number> {
  const layers: Buffer[] = [];
  const words = 'container layer overlay snapshot registry manifest digest blob tsstack '.split(' ');
  const small = Array.from({ length: SMALL_FILES }, (_, i) => {
    const n = 1024 + ((i * 7919) % 7168);
    let text = '';
    while (text.length < n) text += words[(text.length * 31 + i) % words.length] + ' ';
    return { name: `usr/share/doc/pkg${i % 60}/file${i}.txt`, data: Buffer.from(text.slice(0, n)) };
  });
  const big = Array.from({ length: BIG_LAYERS }, (_, l) =>
    [0.5, 0.3, 0.2].map((share, k) => ({
      name: `opt/app${l}/lib${k}.so`,
      data: randomBytes(Math.floor(BIG_LAYER_BYTES * share)),
    })),
  );
  if (shape === 'single') layers.push(await tarOf([...small, ...big.flat()]));
  else {
    layers.push(await tarOf(small));
    for (const files of big) layers.push(await tarOf(files));
  }
  let total = 0;
  const descs = layers.map((t) => {
    const gz = gzipSync(t, { level: 1 });
    total += gz.length;
    return { mediaType: MT.ociLayerGzip, digest: store.blobs.writeBuffer(gz), size: gz.length };
  });
  const cfg = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: layers.map((t) => sha256(t)) },
    }),
  );
  const manifest: OciManifest = {
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    config: { mediaType: MT.ociConfig, digest: store.blobs.writeBuffer(cfg), size: cfg.length },
    layers: descs,
  };
  await store.tag(ref, store.blobs.writeBuffer(Buffer.from(JSON.stringify(manifest))));
  return total;
}
