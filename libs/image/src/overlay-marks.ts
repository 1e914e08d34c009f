// Reading overlayfs markers of an upper dir that a build step left: whiteouts (char device 0/0) and opaque
// dirs (xattr trusted.overlay.opaque=y). Node has no getxattr, so the listing is one short python3 process
// (python3 is already a build need of node-gyp, see docs/image.md). Writing them is tsstack-unpack's job.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { TsstackError } from '@tsstack/model';

const OPAQUE_DIRS = `
import os, sys
root = sys.argv[1]
for d, dirs, files in os.walk(root):
    try:
        if os.getxattr(d, 'trusted.overlay.opaque', follow_symlinks=False) == b'y':
            print(os.path.relpath(d, root))
    except OSError:
        pass
`;

function python(): string {
  return fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

function run(script: string, args: string[], input?: string): string {
  try {
    return execFileSync(python(), ['-c', script, ...args], {
      input,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
      maxBuffer: 64 << 20,
    });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new TsstackError(
      'IMAGE_OVERLAY_MARKS',
      `reading overlay opaque markers failed: ${(err.stderr || err.message).trim()}; python3 must be installed (apt-get install python3) and the store must be on a filesystem with trusted.* xattrs, run as root`,
    );
  }
}

/** Relative paths ('.' for the root) of the directories under `root` marked opaque for overlayfs. */
export function opaqueDirs(root: string): string[] {
  return run(OPAQUE_DIRS, [root]).split('\n').filter(Boolean);
}

/** True when `st` is an overlayfs whiteout (character device 0/0). */
export function isWhiteout(st: fs.Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}
