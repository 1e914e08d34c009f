// Overlayfs markers on disk: whiteouts (char device 0/0), opaque dirs (xattr trusted.overlay.opaque=y) and
// other xattrs a layer carries. Node has neither mknod nor setxattr/getxattr, so a batch of operations goes
// to one short python3 process (python3 is already a build need of node-gyp, see docs/image.md).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { TsstackError } from '@tsstack/model';

export type MarkOp =
  | { op: 'whiteout'; path: string }
  | { op: 'opaque'; path: string }
  | { op: 'xattr'; path: string; name: string; value: string /* base64 */ };

const APPLY = `
import json, os, stat, sys, base64
for o in json.load(sys.stdin):
    p = o['path']
    if o['op'] == 'whiteout':
        if os.path.lexists(p):
            if os.path.isdir(p) and not os.path.islink(p):
                import shutil; shutil.rmtree(p)
            else:
                os.unlink(p)
        os.mknod(p, 0o600 | stat.S_IFCHR, os.makedev(0, 0))
    elif o['op'] == 'opaque':
        os.setxattr(p, 'trusted.overlay.opaque', b'y', follow_symlinks=False)
    else:
        os.setxattr(p, o['name'], base64.b64decode(o['value']), follow_symlinks=False)
`;

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
      `writing overlay whiteouts/xattrs failed: ${(err.stderr || err.message).trim()}; python3 must be installed (apt-get install python3) and the store must be on a filesystem with trusted.* xattrs, run as root`,
    );
  }
}

/** Applies whiteout/opaque/xattr operations in order. No-op for an empty list. */
export function applyMarks(ops: MarkOp[]): void {
  if (ops.length) run(APPLY, [], JSON.stringify(ops));
}

/** Relative paths ('.' for the root) of the directories under `root` marked opaque for overlayfs. */
export function opaqueDirs(root: string): string[] {
  return run(OPAQUE_DIRS, [root]).split('\n').filter(Boolean);
}

/** True when `st` is an overlayfs whiteout (character device 0/0). */
export function isWhiteout(st: fs.Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}
