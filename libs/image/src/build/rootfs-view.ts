// A read-only merged view of a layer stack while a build step needs to look into it (COPY --from,
// --chown user names, WORKDIR existence): an overlay of the snapshot dirs mounted on a temp dir and
// unmounted again when the callback ends, even when it throws.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Mounts `lowerDirs` (top-most first) read-only, runs `fn(dir)`, unmounts. */
export async function withRootfsView<T>(
  scratch: string,
  lowerDirs: string[],
  fn: (dir: string) => Promise<T> | T,
): Promise<T> {
  const dir = fs.mkdtempSync(path.join(scratch, 'view-'));
  // overlayfs without an upper dir wants two lowers or more: an empty one at the bottom is harmless.
  const empty = fs.mkdtempSync(path.join(scratch, 'empty-'));
  try {
    execFileSync(
      'mount',
      ['-t', 'overlay', 'overlay', '-o', `ro,lowerdir=${[...lowerDirs, empty].join(':')}`, dir],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    try {
      return await fn(dir);
    } finally {
      execFileSync('umount', [dir]);
    }
  } finally {
    fs.rmdirSync(dir);
    fs.rmdirSync(empty);
  }
}
