// The one extraction engine: every path that writes image content (layer snapshots, flattened rootfs
// views, Dockerfile ADD archives) applies a layer tar (plain, gzip or zstd) through tsstack-unpack
// (native/unpack), in one of two forms:
// - flatten (default): onto a root holding the lower layers; OCI whiteouts (.wh.<name>) delete what lower
//   layers made, opaque markers (.wh..wh..opq) empty a directory of lower-layer content;
// - overlay: into an empty per-layer snapshot dir; whiteouts become char devices 0/0 and opaque markers the
//   xattr trusted.overlay.opaque=y, as overlayfs reads them when the snapshot is one of its lower dirs.
// Also reads layers (decompressed streams, diff ids) for import and export. zstd is decompressed for
// reading by Debian's `zstd` binary as a subprocess (Node 20's zlib has none).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DigestMismatchError, LayerLimitError, LayerWriteError, UnsafeLayerError } from './errors';
import { LayerLimits, layerLimitsFromEnv } from './limits';
import { nativeTool } from './native-tool';

export type Compression = 'gzip' | 'zstd' | 'none';

export function detectCompression(head: Buffer): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

/** The compression of a layer file, from its first bytes. */
export function compressionOfFile(file: string): Compression {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(4);
    return fs.readSync(fd, head, 0, 4, 0) === 4 ? detectCompression(head) : 'none';
  } finally {
    fs.closeSync(fd);
  }
}

const LAYER_MEDIA_TYPES: Record<Compression, string> = {
  none: 'application/vnd.oci.image.layer.v1.tar',
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
};

/** The OCI media type of a layer file as it is compressed. */
export function layerMediaTypeOf(file: string): string {
  return LAYER_MEDIA_TYPES[compressionOfFile(file)];
}

function decompressed(file: string): { stream: Readable; done: Promise<void> } {
  const kind = compressionOfFile(file);
  if (kind === 'gzip')
    return { stream: fs.createReadStream(file).pipe(createGunzip()), done: Promise.resolve() };
  if (kind === 'zstd') {
    const child = spawn('zstd', ['-dc', '--', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const done = new Promise<void>((resolve, reject) => {
      child.on('error', (e) =>
        reject(new Error(`zstd could not start (install Debian's zstd): ${e.message}`)),
      );
      child.on('close', (code) =>
        code === 0 ? resolve() : reject(new Error(`zstd -dc failed (${code}): ${err}`)),
      );
    });
    return { stream: child.stdout, done };
  }
  return { stream: fs.createReadStream(file), done: Promise.resolve() };
}

export interface ApplyLayerOptions {
  /** Write overlayfs whiteouts and opaque xattrs instead of deleting (root is an empty snapshot dir). */
  overlay?: boolean;
  /** Expected sha256 of the uncompressed tar; a mismatch throws DigestMismatchError. */
  diffId?: string;
  /** Overlay mode: snapshot dirs of the layers below, top-most first (hardlinks to their files). */
  lowerDirs?: string[];
  /** Default: layerLimitsFromEnv(). */
  limits?: LayerLimits;
  /** How the layer is named in errors (a digest); default its file name. */
  name?: string;
}

/** What tsstack-unpack prints: one JSON line. */
interface UnpackResult {
  ok: boolean;
  member?: string;
  rule?: string;
  message?: string;
  code?: string;
  diffId?: string;
  entries: number;
  bytes: number;
}

export interface AppliedLayer {
  diffId: string;
  entries: number;
  bytes: number;
}

function parseResult(stdout: string): UnpackResult | undefined {
  const line = stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as UnpackResult;
  } catch {
    return undefined;
  }
}

function refusal(r: UnpackResult, where: string, expectedDiffId?: string): Error {
  const member = r.member ?? '';
  const why = r.message ?? 'refused';
  if (r.rule === 'diff-id-mismatch')
    return new DigestMismatchError(expectedDiffId ?? '', r.diffId ?? '', `${where} diff id`);
  if (r.rule === 'too-large' || r.rule === 'too-many-entries')
    return new LayerLimitError(where, member, r.rule, why);
  if (r.rule === 'io' || r.rule === 'kernel') return new LayerWriteError(where, member, why, r.code || 'EIO');
  return new UnsafeLayerError(member, why, r.rule, where);
}

/**
 * Applies the layer in `layerFile` onto `root` with tsstack-unpack, in its own process: every path stays
 * inside `root` (openat2 RESOLVE_IN_ROOT), members apply in archive order. Throws UnsafeLayerError (with
 * the member and the rule broken), LayerLimitError, DigestMismatchError or LayerWriteError; on a throw,
 * what was written so far is left for the caller to delete (snapshots are temp dirs until renamed).
 */
export async function applyLayer(
  root: string,
  layerFile: string,
  opts: ApplyLayerOptions = {},
): Promise<AppliedLayer> {
  await fs.promises.mkdir(root, { recursive: true });
  const limits = opts.limits ?? layerLimitsFromEnv();
  const args = [
    '--root',
    root,
    '--max-bytes',
    String(limits.maxBytes),
    '--max-entries',
    String(limits.maxEntries),
  ];
  if (opts.overlay) args.push('--overlay');
  for (const l of opts.lowerDirs ?? []) args.push('--lower', l);
  if (opts.diffId) args.push('--diff-id', opts.diffId);
  args.push('--', layerFile);
  const where = `layer ${opts.name ?? path.basename(layerFile)}`;
  const { code, stdout, stderr } = await runTool(nativeTool('tsstack-unpack'), args);
  const r = parseResult(stdout);
  if (code === 0 && r?.ok && r.diffId) return { diffId: r.diffId, entries: r.entries, bytes: r.bytes };
  if (r && !r.ok) throw refusal(r, where, opts.diffId);
  throw new LayerWriteError(where, '', `tsstack-unpack failed (exit ${code}): ${stderr.trim()}`, 'EIO');
}

function runTool(bin: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4096)));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

/** The uncompressed bytes of a (possibly gzip or zstd) layer file; errors of zstd surface on the stream. */
export function decompressedStream(layerFile: string): Readable {
  const { stream, done } = decompressed(layerFile);
  done.catch((e: Error) => stream.destroy(e));
  return stream;
}

/** sha256 of the uncompressed content of a (possibly gzip or zstd) layer file: its OCI diff id. */
export async function diffIdOf(layerFile: string): Promise<string> {
  const { stream, done } = decompressed(layerFile);
  const hash = createHash('sha256');
  stream.on('data', (c: Buffer) => hash.update(c));
  await Promise.all([new Promise((r, j) => stream.on('end', r).on('error', j)), done]);
  return 'sha256:' + hash.digest('hex');
}
