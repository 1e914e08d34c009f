// Names inside an archive, resolved in the archive's own namespace and never on a filesystem: "./a//b" is
// "a/b", ".." is refused, and a symlink member is followed lexically (relative to its directory, at most a
// few hops) to the member it names. So "../../etc/shadow" in a manifest names nothing on the host.
export type NameProblem = 'path-dotdot' | 'path-absolute' | 'link-loop' | 'link-outside';

export class NameError extends Error {
  constructor(
    readonly rule: NameProblem,
    readonly why: string,
  ) {
    super(why);
  }
}

/** "./a//b/" -> "a/b"; absolute names are the archive root's ("/a" -> "a") only when `allowAbsolute`. */
export function archiveName(name: string, allowAbsolute = true): string {
  if (!allowAbsolute && name.startsWith('/'))
    throw new NameError('path-absolute', 'an absolute path: archive paths are relative');
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new NameError('path-dotdot', 'the path has a ".." component');
  return parts.join('/');
}

const MAX_HOPS = 8;

/** Follows symlink and hardlink members (`links`: name -> target, symlinks relative to their dir). */
export function followLinks(
  name: string,
  links: ReadonlyMap<string, { target: string; symlink: boolean }>,
): string {
  let cur = name;
  for (let hops = 0; hops <= MAX_HOPS; hops++) {
    const link = links.get(cur);
    if (!link) return cur;
    if (!link.symlink) {
      cur = archiveName(link.target);
      continue;
    }
    if (link.target.startsWith('/'))
      throw new NameError('link-outside', 'a symlink member with an absolute target');
    const parts = cur.split('/').slice(0, -1);
    for (const p of link.target.split('/')) {
      if (p === '' || p === '.') continue;
      if (p !== '..') parts.push(p);
      else if (!parts.pop())
        throw new NameError('link-outside', 'a symlink member that points outside the archive');
    }
    cur = parts.join('/');
  }
  throw new NameError('link-loop', `more than ${MAX_HOPS} links in a row`);
}
