// Resolves a Compose `user:` (name, uid, name:group, uid:gid) and `group_add:` against the image's own
// /etc/passwd and /etc/group, as Docker does, plus HOME for the environment.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidContainerSpecError } from './errors';
import type { RootfsSpec } from './types';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}
interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export function parsePasswd(text: string): PasswdEntry[] {
  return text
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 7 && /^\d+$/.test(f[2]) && /^\d+$/.test(f[3]))
    .map((f) => ({ name: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5] }));
}

export function parseGroup(text: string): GroupEntry[] {
  return text
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 4 && /^\d+$/.test(f[2]))
    .map((f) => ({ name: f[0], gid: Number(f[2]), members: f[3] ? f[3].split(',') : [] }));
}

/** The file as the container will see it: the top-most layer that has it (whiteouts aside). */
function readImageFile(rootfs: RootfsSpec, file: string): string {
  const dirs = 'path' in rootfs ? [rootfs.path] : [rootfs.upperDir, ...rootfs.lowerDirs];
  for (const dir of dirs) {
    try {
      const p = path.join(dir, file);
      const st = fs.lstatSync(p);
      if (st.isFile()) return fs.readFileSync(p, 'utf8');
      if (st.isCharacterDevice()) return ''; // an overlay whiteout: deleted in this layer
    } catch {
      // not in this layer
    }
  }
  return '';
}

export function resolveUser(
  user: string | undefined,
  groupAdd: string[] = [],
  passwdText: string,
  groupText: string,
): ResolvedUser {
  const passwd = parsePasswd(passwdText);
  const groups = parseGroup(groupText);
  const [userPart, groupPart] = (user ?? '0').split(':');
  let entry = /^\d+$/.test(userPart)
    ? passwd.find((p) => p.uid === Number(userPart))
    : passwd.find((p) => p.name === userPart);
  if (!entry && !/^\d+$/.test(userPart))
    throw new InvalidContainerSpecError('user', `user "${userPart}" is not in the image's /etc/passwd`);
  // A numeric uid the image does not know runs with gid 0, as in Docker.
  entry ??= { name: '', uid: Number(userPart), gid: 0, home: '/' };
  const gidOf = (g: string, field: string): number => {
    if (/^\d+$/.test(g)) return Number(g);
    const found = groups.find((x) => x.name === g);
    if (!found) throw new InvalidContainerSpecError(field, `group "${g}" is not in the image's /etc/group`);
    return found.gid;
  };
  const gid = groupPart !== undefined ? gidOf(groupPart, 'user') : entry.gid;
  const member = entry.name ? groups.filter((g) => g.members.includes(entry.name)).map((g) => g.gid) : [];
  const extra = groupAdd.map((g) => gidOf(g, 'group_add'));
  // The primary group is listed too, as `id` shows it under Docker: groups=1000(app),2000(extra).
  const additionalGids = [...new Set([gid, ...(groupPart === undefined ? member : []), ...extra])];
  return { uid: entry.uid, gid, additionalGids, home: entry.home || '/' };
}

export function resolveUserInRootfs(rootfs: RootfsSpec, user?: string, groupAdd?: string[]): ResolvedUser {
  return resolveUser(user, groupAdd, readImageFile(rootfs, 'etc/passwd'), readImageFile(rootfs, 'etc/group'));
}
