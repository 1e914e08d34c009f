// A `docker save` archive: manifest.json names the config and the layer tars by path; each path is looked
// up among the archive's members (links followed inside the archive only), the config validated, and each
// layer's diff id (its uncompressed sha256) checked against the config before an OCI manifest is made.
import { sha256 as sha256Of } from '../blob-store';
import { ImageArchiveError } from '../errors';
import { parseReference } from '../reference';
import { MT, OciManifest } from '../types';
import { compressionOfFile, diffIdOf, layerMediaTypeOf } from '../unpack';
import { ImportPlan, PlannedBlob } from './commit';
import { dockerManifestSchema, imageConfigSchema } from './documents';
import { documentOf } from './oci-import';
import { MemberSource, StagedMember } from './staged-archive';

async function diffIdAndType(m: StagedMember): Promise<{ diffId: string; mediaType: string }> {
  const plain = compressionOfFile(m.file) === 'none';
  return { diffId: plain ? m.digest : await diffIdOf(m.file), mediaType: layerMediaTypeOf(m.file) };
}

function repoTag(src: MemberSource, tag: string | undefined): string | undefined {
  if (tag === undefined) return undefined;
  try {
    return parseReference(tag).canonical;
  } catch {
    throw new ImageArchiveError(
      src.label,
      'manifest.json',
      'reference',
      '[0].RepoTags[0]: not a valid image reference',
    );
  }
}

export async function importDocker(src: MemberSource, ref: string | undefined): Promise<ImportPlan> {
  const entries = await documentOf(
    src,
    await src.member('manifest.json', 'manifest.json'),
    'manifest.json',
    dockerManifestSchema,
  );
  const e = entries[0];
  const reference = ref ?? repoTag(src, e.RepoTags?.[0]);
  if (!reference)
    throw new ImageArchiveError(
      src.label,
      'manifest.json',
      'reference',
      'the archive names no image (no RepoTags): pass a reference',
    );
  const config = await src.member(e.Config, 'manifest.json [0].Config');
  const cfg = await documentOf(src, config, e.Config, imageConfigSchema);
  if (cfg.rootfs.diff_ids.length !== e.Layers.length)
    throw new ImageArchiveError(
      src.label,
      e.Config,
      'diff-ids',
      `rootfs.diff_ids has ${cfg.rootfs.diff_ids.length} entries for ${e.Layers.length} layers`,
    );
  const blobs: PlannedBlob[] = [];
  const layers: OciManifest['layers'] = [];
  for (const [i, name] of e.Layers.entries()) {
    const m = await src.member(name, `manifest.json [0].Layers[${i}]`);
    const { diffId, mediaType } = await diffIdAndType(m);
    if (diffId !== cfg.rootfs.diff_ids[i])
      throw new ImageArchiveError(
        src.label,
        name,
        'diff-id-mismatch',
        `the layer's content is ${diffId}, the config says ${cfg.rootfs.diff_ids[i]}`,
      );
    blobs.push({ digest: m.digest, file: m.file });
    layers.push({ mediaType, digest: m.digest, size: m.size });
  }
  const manifest: OciManifest = {
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    config: { mediaType: MT.ociConfig, digest: config.digest, size: config.size },
    layers,
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  const manifestDigest = sha256Of(bytes);
  blobs.push({ digest: config.digest, file: config.file }, { digest: manifestDigest, bytes });
  return { blobs, manifestDigest, reference };
}
