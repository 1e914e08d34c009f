// The JSON documents of image archives and layouts, validated before anything is stored: digests are
// sha256:<64 hex>, sizes whole numbers, lists bounded. Parse errors never quote the content (a member may be
// a host file an archive tried to smuggle in).
import { z } from 'zod';

/** Larger manifests and configs are refused (the distribution spec's 4 MiB, as registries do). */
export const MAX_DOCUMENT_BYTES = 4 << 20;

export const digestSchema = z
  .string()
  .regex(/^sha256:[a-f0-9]{64}$/, { message: 'must be sha256:<64 lowercase hex>' });

const descriptor = z.object({
  mediaType: z.string().max(255).optional(),
  digest: digestSchema,
  size: z.number().int().nonnegative(),
  annotations: z.record(z.string(), z.string()).optional(),
  platform: z.object({ architecture: z.string(), os: z.string(), variant: z.string().optional() }).optional(),
});

export const ociLayoutSchema = z.object({ imageLayoutVersion: z.string() });

export const ociIndexSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(descriptor).min(1).max(1000),
});

export const ociManifestSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: descriptor,
  layers: z.array(descriptor).max(1000),
});

export const imageConfigSchema = z.looseObject({
  architecture: z.string().optional(),
  os: z.string().optional(),
  rootfs: z.object({ type: z.literal('layers'), diff_ids: z.array(digestSchema).max(1000) }),
});

export const dockerManifestSchema = z
  .array(
    z.object({
      Config: z.string().min(1).max(4096),
      RepoTags: z.array(z.string().max(1024)).max(1000).nullish(),
      Layers: z.array(z.string().min(1).max(4096)).max(1000),
    }),
  )
  .min(1)
  .max(1000);

export type Descriptor = z.infer<typeof descriptor>;
export type OciIndexDoc = z.infer<typeof ociIndexSchema>;
export type OciManifestDoc = z.infer<typeof ociManifestSchema>;
export type ImageConfigDoc = z.infer<typeof imageConfigSchema>;
export type DockerManifestDoc = z.infer<typeof dockerManifestSchema>;

/** `[0].Layers[2]`-style path of a zod issue. */
function issuePath(p: ReadonlyArray<PropertyKey>): string {
  return p.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i ? '.' : ''}${String(k)}`)).join('');
}

/** Parses and validates `bytes`; returns the document or the first problem, located, without content. */
export function parseDocument<T>(
  bytes: Buffer,
  schema: z.ZodType<T>,
): { ok: true; doc: T } | { ok: false; why: string } {
  if (bytes.length > MAX_DOCUMENT_BYTES) return { ok: false, why: `larger than ${MAX_DOCUMENT_BYTES} bytes` };
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { ok: false, why: 'not valid JSON' };
  }
  const r = schema.safeParse(raw);
  if (r.success) return { ok: true, doc: r.data };
  const first = r.error.issues[0];
  const where = issuePath(first.path);
  return { ok: false, why: `${where ? `${where}: ` : ''}${first.message}` };
}
