// An image archive (docker save, OCI archive) read once from start to end with tar-stream: every regular
// member is streamed into the store's tmp/ and hashed on the way; symlink and hardlink members are noted,
// everything else is ignored. Nothing is written anywhere else and no member name reaches the filesystem:
// staged files are numbered. Limits: member count and bytes (the layer limits).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { ImageArchiveError } from '../errors';
import { LayerLimits } from '../limits';
import { decompressedStream } from '../unpack';
import { archiveName, followLinks, NameError } from './archive-names';

export interface StagedMember {
  file: string;
  size: number;
  digest: string;
}

export interface MemberSource {
  /** How the source is named in errors (the file or directory given). */
  readonly label: string;
  /** The member as a staged regular file, following links; throws ImageArchiveError when it is none. */
  member(name: string, field: string): Promise<StagedMember>;
  /** Whether a regular member of this name (after links) exists. */
  has(name: string): boolean;
}

type Link = { target: string; symlink: boolean };

export interface ArchiveListing {
  /** Regular members (clean names). */
  files: Set<string>;
  links: Map<string, Link>;
  /** sha256 of the whole uncompressed stream (the diff id when the archive is a rootfs layer). */
  streamDigest: string;
  entries: number;
}

function refuse(label: string, member: string, rule: string, why: string): ImageArchiveError {
  return new ImageArchiveError(label, member, rule, why);
}

/**
 * Reads `file` (plain, gzip or zstd tar) member by member. With `stageDir`, regular members are copied
 * there; without it, only names are listed.
 */
async function readArchive(
  file: string,
  label: string,
  limits: LayerLimits,
  stageDir: string | undefined,
  staged: Map<string, StagedMember>,
): Promise<ArchiveListing> {
  const files = new Set<string>();
  const links = new Map<string, Link>();
  const streamHash = createHash('sha256');
  let bytes = 0;
  let entries = 0;
  let last = '';
  const extract = tar.extract();
  const counter = new Transform({
    transform(chunk: Buffer, _e, cb) {
      bytes += chunk.length;
      if (bytes > limits.maxBytes)
        return cb(
          refuse(
            label,
            '',
            'too-large',
            `more than ${limits.maxBytes} bytes uncompressed (TSSTACK_MAX_LAYER_BYTES)`,
          ),
        );
      streamHash.update(chunk);
      cb(null, chunk);
    },
  });
  extract.on('entry', (header, body, next) => {
    const done = (e?: unknown): void => next(e as Error | undefined);
    (async () => {
      if (++entries > limits.maxEntries)
        throw refuse(
          label,
          header.name,
          'too-many-entries',
          `more than ${limits.maxEntries} members (TSSTACK_MAX_LAYER_ENTRIES)`,
        );
      let name: string;
      last = header.name;
      try {
        name = archiveName(header.name);
      } catch (e) {
        if (e instanceof NameError) throw refuse(label, header.name, e.rule, e.why);
        throw e;
      }
      if (header.type === 'symlink' || header.type === 'link') {
        links.set(name, { target: header.linkname ?? '', symlink: header.type === 'symlink' });
        files.delete(name);
      } else if (header.type === 'file' || header.type === 'contiguous-file') {
        files.add(name);
        links.delete(name);
        if (stageDir) {
          const dst = path.join(stageDir, String(staged.size));
          const hash = createHash('sha256');
          let size = 0;
          const tap = new Transform({
            transform(chunk: Buffer, _e, cb) {
              hash.update(chunk);
              size += chunk.length;
              cb(null, chunk);
            },
          });
          await pipeline(body, tap, fs.createWriteStream(dst, { mode: 0o600, flags: 'wx' }));
          staged.set(name, { file: dst, size, digest: 'sha256:' + hash.digest('hex') });
          return;
        }
      }
      await new Promise<void>((resolve, reject) => body.on('end', resolve).on('error', reject).resume());
    })().then(() => done(), done);
  });
  try {
    await pipeline(decompressedStream(file), counter, extract);
  } catch (e) {
    if (e instanceof ImageArchiveError) throw e;
    throw refuse(label, last, 'malformed', `not a readable tar archive (${(e as Error).message})`);
  }
  return { files, links, streamDigest: 'sha256:' + streamHash.digest('hex'), entries };
}

/** Lists an archive's members without keeping any content. */
export function listArchive(file: string, limits: LayerLimits): Promise<ArchiveListing> {
  return readArchive(file, file, limits, undefined, new Map());
}

function resolver(label: string, links: ReadonlyMap<string, Link>): (name: string, field: string) => string {
  return (name, field) => {
    try {
      return followLinks(archiveName(name, false), links);
    } catch (e) {
      if (e instanceof NameError) throw refuse(label, name, e.rule, `${field}: ${e.why}`);
      throw e;
    }
  };
}

/** Stages every regular member of an archive in `stageDir` (a fresh dir in the store's tmp/). */
export async function stageArchive(
  file: string,
  stageDir: string,
  limits: LayerLimits,
): Promise<MemberSource> {
  const staged = new Map<string, StagedMember>();
  const listing = await readArchive(file, file, limits, stageDir, staged);
  const resolve = resolver(file, listing.links);
  return {
    label: file,
    has: (name) => {
      try {
        return staged.has(resolve(name, ''));
      } catch {
        return false;
      }
    },
    member: async (name, field) => {
      const hit = staged.get(resolve(name, field));
      if (!hit)
        throw refuse(file, name, 'member-missing', `${field}: no regular file of that name in the archive`);
      return hit;
    },
  };
}
