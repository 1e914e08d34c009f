// Image archives as `docker save` and OCI tooling write them, built by the tests from layer blobs, and the
// same with hostile twists (paths, links, digests) supplied by the caller.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Member, tarOf } from './tar-craft';

const sha = (b: Buffer): string => 'sha256:' + createHash('sha256').update(b).digest('hex');
const hex = (d: string): string => d.slice('sha256:'.length);

function plain(blob: Buffer): Buffer {
  return gunzipSync(blob, { finishFlush: 2 });
}

export function configFor(layers: Buffer[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => sha(plain(l))) },
    }),
  );
}

/** A docker-save archive: manifest.json, <hex>.json, <n>/layer.tar (uncompressed), plus `extra` members. */
export async function dockerSave(
  blobs: Buffer[],
  ref: string,
  twist: { manifest?: unknown; extra?: Member[] } = {},
): Promise<Buffer> {
  const cfg = configFor(blobs);
  const layers = blobs.map((_b, i) => `${i}/layer.tar`);
  const manifest = twist.manifest ?? [{ Config: `${hex(sha(cfg))}.json`, RepoTags: [ref], Layers: layers }];
  return tarOf([
    { name: 'manifest.json', content: JSON.stringify(manifest) },
    { name: `${hex(sha(cfg))}.json`, content: cfg },
    ...blobs.map((b, i) => ({ name: layers[i], content: plain(b) })),
    ...(twist.extra ?? []),
  ]);
}

export interface OciTwist {
  index?: unknown;
  /** Replaces a blob's bytes (by digest) while keeping its name. */
  corrupt?: string;
}

/** The members of an OCI layout: oci-layout, index.json, blobs/sha256/*. */
export function ociMembers(blobs: Buffer[], ref: string, twist: OciTwist = {}): Member[] {
  const cfg = configFor(blobs);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(cfg), size: cfg.length },
      layers: blobs.map((b) => ({
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        digest: sha(b),
        size: b.length,
      })),
    }),
  );
  const index = twist.index ?? {
    schemaVersion: 2,
    manifests: [
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: sha(manifest),
        size: manifest.length,
        annotations: { 'org.opencontainers.image.ref.name': ref },
      },
    ],
  };
  const blobMember = (b: Buffer): Member => ({
    name: `blobs/sha256/${hex(sha(b))}`,
    content: twist.corrupt === sha(b) ? Buffer.concat([b.subarray(0, -1), Buffer.from('!')]) : b,
  });
  return [
    { name: 'oci-layout', content: JSON.stringify({ imageLayoutVersion: '1.0.0' }) },
    { name: 'index.json', content: JSON.stringify(index) },
    blobMember(manifest),
    blobMember(cfg),
    ...blobs.map(blobMember),
  ];
}

/** Writes members as a directory (files and symlinks only). */
export function writeDir(dir: string, members: Member[]): void {
  for (const m of members) {
    const p = path.join(dir, m.name);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    if (m.type === 'symlink') fs.symlinkSync(m.linkname ?? '', p);
    else fs.writeFileSync(p, m.content ?? '');
  }
}
