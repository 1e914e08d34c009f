// An OCI image layout (archive or directory): index.json -> (nested index ->) manifest -> config + layers,
// each document validated, each blob read as blobs/sha256/<hex> of a validated digest and checked against
// the descriptor's digest and size.
import * as fs from 'node:fs';
import { ImageArchiveError, ImageNotFoundError } from '../errors';
import { hostPlatform } from '../platform';
import { parseReference } from '../reference';
import { isIndex } from '../types';
import { ImportPlan, PlannedBlob } from './commit';
import {
  Descriptor,
  imageConfigSchema,
  MAX_DOCUMENT_BYTES,
  ociIndexSchema,
  ociLayoutSchema,
  ociManifestSchema,
  parseDocument,
} from './documents';
import { z } from 'zod';
import { MemberSource, StagedMember } from './staged-archive';

const manifestOrIndex = z.looseObject({ manifests: z.unknown().optional() });

async function verifiedBlob(src: MemberSource, d: Descriptor, field: string): Promise<StagedMember> {
  const name = `blobs/sha256/${d.digest.slice('sha256:'.length)}`;
  const m = await src.member(name, field);
  if (m.digest !== d.digest)
    throw new ImageArchiveError(
      src.label,
      name,
      'digest-mismatch',
      `${field}: the content is ${m.digest}, not ${d.digest}`,
    );
  if (m.size !== d.size)
    throw new ImageArchiveError(src.label, name, 'size-mismatch', `${field}: ${m.size} bytes, not ${d.size}`);
  return m;
}

/** Reads and validates a JSON member (the member name in errors, never its content). */
export async function documentOf<T>(
  src: MemberSource,
  m: StagedMember,
  name: string,
  schema: z.ZodType<T>,
): Promise<T> {
  if (m.size > MAX_DOCUMENT_BYTES)
    throw new ImageArchiveError(src.label, name, 'document', `larger than ${MAX_DOCUMENT_BYTES} bytes`);
  const r = parseDocument(await fs.promises.readFile(m.file), schema);
  if (!r.ok) throw new ImageArchiveError(src.label, name, 'document', r.why);
  return r.doc;
}

function safeCanonical(name: string): string | undefined {
  try {
    return parseReference(name).canonical;
  } catch {
    return undefined;
  }
}

function nameFrom(src: MemberSource, annotations: Record<string, string> | undefined): string {
  const name =
    annotations?.['io.containerd.image.name'] ?? annotations?.['org.opencontainers.image.ref.name'];
  if (!name)
    throw new ImageArchiveError(
      src.label,
      'index.json',
      'reference',
      'the layout names no image: pass a reference',
    );
  // A bare tag ("latest", allowed by the OCI spec) names no repository.
  const full = /[:/]/.test(name) ? safeCanonical(name) : undefined;
  if (!full)
    throw new ImageArchiveError(
      src.label,
      'index.json',
      'reference',
      'the annotated image name is not a full reference: pass a reference',
    );
  return full;
}

export async function importOci(src: MemberSource, ref: string | undefined): Promise<ImportPlan> {
  if (src.has('oci-layout'))
    await documentOf(src, await src.member('oci-layout', 'oci-layout'), 'oci-layout', ociLayoutSchema);
  const index = await documentOf(
    src,
    await src.member('index.json', 'index.json'),
    'index.json',
    ociIndexSchema,
  );
  const blobs: PlannedBlob[] = [];
  let desc: Descriptor = index.manifests[0];
  const annotations = desc.annotations;
  let field = 'index.json manifests[0]';
  let staged = await verifiedBlob(src, desc, field);
  const top = await documentOf(src, staged, `blobs/${desc.digest}`, manifestOrIndex);
  if (isIndex(desc.mediaType, top)) {
    const inner = await documentOf(src, staged, `blobs/${desc.digest}`, ociIndexSchema);
    const want = hostPlatform();
    const pick = inner.manifests.find(
      (x) => !x.platform || (x.platform.os === want.os && x.platform.architecture === want.architecture),
    );
    if (!pick)
      throw new ImageNotFoundError(src.label, `for ${want.os}/${want.architecture} in the OCI index`);
    blobs.push({ digest: desc.digest, file: staged.file });
    desc = pick;
    field = `${field} -> manifests[${inner.manifests.indexOf(pick)}]`;
    staged = await verifiedBlob(src, desc, field);
  }
  const manifest = await documentOf(src, staged, `blobs/${desc.digest}`, ociManifestSchema);
  const config = await verifiedBlob(src, manifest.config, `${field} config`);
  const cfg = await documentOf(src, config, `blobs/${manifest.config.digest}`, imageConfigSchema);
  if (cfg.rootfs.diff_ids.length !== manifest.layers.length)
    throw new ImageArchiveError(
      src.label,
      `blobs/${manifest.config.digest}`,
      'diff-ids',
      `rootfs.diff_ids has ${cfg.rootfs.diff_ids.length} entries for ${manifest.layers.length} layers`,
    );
  for (const [i, l] of manifest.layers.entries()) {
    const m = await verifiedBlob(src, l, `${field} layers[${i}]`);
    blobs.push({ digest: l.digest, file: m.file });
  }
  blobs.push(
    { digest: manifest.config.digest, file: config.file },
    { digest: desc.digest, file: staged.file },
  );
  return { blobs, manifestDigest: desc.digest, reference: ref ?? nameFrom(src, annotations) };
}
