// `tsstack image import`: a docker-save archive, an OCI archive or layout directory, or a plain root
// filesystem tar (found by looking, or forced), validated completely before anything is stored: every
// document parsed and checked, every referenced member a regular file inside the archive, every blob hashed
// against its digest and size, diff ids checked where they are cheap to know. Only then are the blobs
// moved into the store and the reference written; a failure leaves the store as it was.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ImageArchiveError, InvalidReferenceError } from '../errors';
import { LayerLimits, layerLimitsFromEnv } from '../limits';
import { parseReference } from '../reference';
import { ImageConfig, ImageRecord } from '../types';
import { importDocker } from './docker-import';
import { ArchiveStore, commitImage } from './commit';
import { importOci } from './oci-import';
import { importRootfs } from './rootfs-import';
import { ArchiveListing, listArchive, stageArchive } from './staged-archive';
import { layoutDirSource } from './layout-dir';

export type ImportFormat = 'oci' | 'docker' | 'rootfs';

export interface ImportOptions {
  /** The reference to tag; default the one the archive names (required for a rootfs tar). */
  ref?: string;
  /** Skip detection. */
  format?: ImportFormat;
  /** Image config of a rootfs import (Cmd, Env ...). */
  config?: ImageConfig;
  limits?: LayerLimits;
}

const HINT = 'pass --docker, --oci or --rootfs to say which it is';

function detect(listing: ArchiveListing): ImportFormat {
  if (listing.files.has('index.json') && listing.files.has('oci-layout')) return 'oci';
  if (listing.files.has('manifest.json')) return 'docker';
  return 'rootfs';
}

async function listOrExplain(file: string, limits: LayerLimits): Promise<ArchiveListing> {
  try {
    return await listArchive(file, limits);
  } catch (e) {
    // Not one member could be read: the file is no tar at all, as far as tsstack can tell.
    if (e instanceof ImageArchiveError && e.rule === 'malformed' && !e.member)
      throw new ImageArchiveError(
        file,
        '',
        'format',
        `neither a docker-save archive, an OCI archive nor a root filesystem tar (${e.message.replace(/^.*?refused \(malformed\): /, '').replace(/; nothing was imported$/, '')}); an OCI layout directory is imported by its directory`,
      );
    throw e;
  }
}

/** Validates a reference before anything is stored. */
function checkedReference(ref: string | undefined, source: string): string | undefined {
  if (ref === undefined) return undefined;
  try {
    return parseReference(ref).canonical;
  } catch (e) {
    if (e instanceof InvalidReferenceError) throw e;
    throw new ImageArchiveError(source, '', 'reference', 'not a valid image reference');
  }
}

export async function importImage(
  store: ArchiveStore,
  src: string,
  opts: ImportOptions = {},
): Promise<ImageRecord> {
  const limits = opts.limits ?? layerLimitsFromEnv();
  const ref = checkedReference(opts.ref, src);
  const isDir = fs.statSync(src).isDirectory();
  if (isDir && opts.format && opts.format !== 'oci')
    throw new ImageArchiveError(
      src,
      '',
      'format',
      `a directory can only be an OCI image layout, not --${opts.format}`,
    );
  fs.mkdirSync(path.join(store.root, 'tmp'), { recursive: true, mode: 0o700 });
  const stageDir = fs.mkdtempSync(path.join(store.root, 'tmp', 'import-'));
  try {
    if (isDir) return await commitImage(store, await importOci(layoutDirSource(src, stageDir, limits), ref));
    const listing =
      opts.format === 'rootfs'
        ? await listArchive(src, limits)
        : !opts.format
          ? await listOrExplain(src, limits)
          : undefined;
    const format = opts.format ?? detect(listing as ArchiveListing);
    if (format === 'rootfs') {
      if (!ref)
        throw new ImageArchiveError(
          src,
          '',
          'reference',
          `a root filesystem tar names no image: pass a reference (or ${HINT})`,
        );
      const plan = await importRootfs(src, stageDir, listing as ArchiveListing, ref, opts.config ?? {});
      return await commitImage(store, plan);
    }
    const source = await stageArchive(src, stageDir, limits);
    return await commitImage(
      store,
      format === 'oci' ? await importOci(source, ref) : await importDocker(source, ref),
    );
  } finally {
    fs.rmSync(stageDir, { recursive: true, force: true });
  }
}
