// The hostile-archive corpus: each case is a layer (or two) aimed at a canary directory outside the root,
// with what must happen. "refused" names the rule tsstack must report (the whole layer is refused and no
// snapshot kept); "contained" means it may apply, but only inside the root. Either way the canary must stay
// byte for byte as it was. Generated at run time from the canary's path: no binary blobs.
import { gzip, Member, tarOf } from './tar-craft';
import { LayerLimits } from '@tsstack/image';

export type Outcome = { refused: string } | 'contained';

export interface HostileCase {
  name: string;
  /** Layer archives, bottom first (most cases have one). */
  layers: Array<Member[] | Buffer>;
  /** What happens when the layers are applied one on top of the other (ADD, builds: flatten). */
  flatten: Outcome;
  /** What happens when each layer is its own overlay snapshot (the agent's unpack). */
  overlay: Outcome;
  limits?: LayerLimits;
  /** Run it this many times (races). */
  repeat?: number;
}

const UP = '../'.repeat(24);

function longComponent(n: number): string {
  return 'x'.repeat(n);
}

export async function hostileCorpus(canary: string): Promise<HostileCase[]> {
  const c = canary.slice(1); // the canary's path relative to "/"
  // Blocks of eight small files, then symlinks of the same eight names: a write still pending when its
  // name becomes a symlink would follow it to a victim.
  const race: Member[] = [];
  for (let b = 0; b < 40; b++) {
    for (let i = b * 8; i < b * 8 + 8; i++)
      race.push({ name: `f${i}`, content: Buffer.alloc(2048, i % 256) });
    for (let i = b * 8; i < b * 8 + 8; i++)
      race.push({ name: `f${i}`, type: 'symlink', linkname: `${canary}/victim${i % 4}` });
  }
  const bombTar = await tarOf([{ name: 'zeros', content: Buffer.alloc(48 << 20) }]);
  const good = await tarOf([
    { name: 'a', content: 'a' },
    { name: 'b', content: 'b'.repeat(5000) },
  ]);
  return [
    {
      name: '".." in a member name',
      layers: [[{ name: `${UP}${c}/file`, content: 'pwned' }]],
      flatten: { refused: 'path-dotdot' },
      overlay: { refused: 'path-dotdot' },
    },
    {
      name: 'an absolute member name lands under the root',
      layers: [[{ name: `${canary}/file`, content: 'pwned' }]],
      flatten: 'contained',
      overlay: 'contained',
    },
    {
      name: 'a write through an absolute symlink whose target is not in the root',
      layers: [
        [
          { name: 'l', type: 'symlink', linkname: canary },
          { name: 'l/file', content: 'pwned' },
        ],
      ],
      flatten: { refused: 'parent' },
      overlay: { refused: 'parent' },
    },
    {
      name: 'a write through an absolute symlink to a directory the root has',
      layers: [
        [
          { name: c, type: 'directory' },
          { name: 'l', type: 'symlink', linkname: canary },
          { name: 'l/file', content: 'pwned' },
          { name: 'l/dir/new', content: 'pwned' },
        ],
      ],
      flatten: 'contained',
      overlay: 'contained',
    },
    {
      name: 'a write through a relative ../ symlink',
      layers: [
        [
          { name: c, type: 'directory' },
          { name: 'r', type: 'symlink', linkname: `${UP}${c}` },
          { name: 'r/victim0', content: 'pwned' },
        ],
      ],
      flatten: 'contained',
      overlay: 'contained',
    },
    {
      name: 'whiteouts through a symlinked directory',
      layers: [
        [
          { name: 'w', type: 'symlink', linkname: `${canary}/dir` },
          { name: 'w/.wh.inner' },
          { name: 'w/.wh.sub' },
        ],
      ],
      flatten: 'contained',
      overlay: { refused: 'parent' },
    },
    {
      name: 'whiteouts and an opaque marker through a symlinked directory',
      layers: [
        [
          { name: 'w', type: 'symlink', linkname: `${canary}/dir` },
          { name: 'w/.wh.inner' },
          { name: 'w/.wh.sub' },
          { name: 'w/.wh..wh..opq' },
        ],
      ],
      flatten: 'contained',
      overlay: { refused: 'parent' },
    },
    {
      name: 'whiteouts through a symlink made by the layer below',
      layers: [
        [{ name: 'w', type: 'symlink', linkname: `${canary}/dir` }],
        [{ name: 'w/.wh.inner' }, { name: 'w/.wh..wh..opq' }],
      ],
      flatten: 'contained',
      overlay: 'contained',
    },
    {
      name: 'an opaque marker behind a relative symlink to the canary',
      layers: [[{ name: 'o', type: 'symlink', linkname: `${UP}${c}` }, { name: 'o/.wh..wh..opq' }]],
      flatten: 'contained',
      overlay: { refused: 'parent' },
    },
    {
      name: 'a file then a symlink of the same name, 320 times (the pending-write race)',
      layers: [race],
      flatten: 'contained',
      overlay: 'contained',
      repeat: 10,
    },
    {
      name: 'a symlink then a file of the same name does not write through the symlink',
      layers: [
        [
          { name: 's', type: 'symlink', linkname: `${canary}/victim1` },
          { name: 's', content: 'pwned' },
        ],
      ],
      flatten: 'contained',
      overlay: 'contained',
    },
    {
      name: 'a hardlink to a file outside by ".."',
      layers: [[{ name: 'h', type: 'link', linkname: `${UP}${c}/shadow` }]],
      flatten: { refused: 'link-dotdot' },
      overlay: { refused: 'link-dotdot' },
    },
    {
      name: 'a hardlink to an absolute host path',
      layers: [[{ name: 'h', type: 'link', linkname: `${canary}/shadow` }]],
      flatten: { refused: 'link-target-missing' },
      overlay: { refused: 'link-target-missing' },
    },
    {
      name: 'a hardlink through a symlink to the canary',
      layers: [
        [
          { name: 'l', type: 'symlink', linkname: canary },
          { name: 'h', type: 'link', linkname: 'l/shadow' },
        ],
      ],
      flatten: { refused: 'link-target-missing' },
      overlay: { refused: 'link-target-missing' },
    },
    {
      name: 'device nodes and set-id files stay inside the root',
      layers: [
        [
          { name: 'dev/mem2', type: 'character-device', devmajor: 1, devminor: 1, mode: 0o666 },
          { name: 'dev/sda9', type: 'block-device', devmajor: 8, devminor: 0, mode: 0o666 },
          { name: 'dev/fifo', type: 'fifo' },
          { name: 'suid', content: '#!/bin/sh\n', mode: 0o4755 },
        ],
      ],
      flatten: 'contained',
      overlay: 'contained',
    },
    {
      name: 'a device node through a symlink to the canary',
      layers: [
        [
          { name: 'd', type: 'symlink', linkname: canary },
          { name: 'd/evil', type: 'character-device', devmajor: 1, devminor: 1 },
        ],
      ],
      flatten: { refused: 'parent' },
      overlay: { refused: 'parent' },
    },
    {
      name: 'long names and link targets in PAX headers',
      layers: [
        [
          { name: `${'deep/'.repeat(60)}file`, content: 'deep' },
          { name: 'pl', type: 'symlink', linkname: `${'/'.repeat(150)}${canary}` },
          { name: c, type: 'directory' },
          { name: 'pl/victim2', content: 'pwned' },
        ],
      ],
      flatten: 'contained',
      overlay: 'contained',
    },
    {
      name: 'a name component longer than the kernel allows',
      layers: [[{ name: `a/${longComponent(300)}`, content: 'x' }]],
      flatten: { refused: 'name-too-long' },
      overlay: { refused: 'name-too-long' },
    },
    {
      name: 'a path longer than the kernel allows',
      layers: [[{ name: `${(longComponent(200) + '/').repeat(22)}f`, content: 'x' }]],
      flatten: { refused: 'path-too-long' },
      overlay: { refused: 'path-too-long' },
    },
    {
      name: 'a truncated archive',
      layers: [gzip(good.subarray(0, 1200))],
      flatten: { refused: 'malformed' },
      overlay: { refused: 'malformed' },
    },
    {
      name: 'a gzip bomb past the size limit',
      layers: [gzip(bombTar)],
      flatten: { refused: 'too-large' },
      overlay: { refused: 'too-large' },
      limits: { maxBytes: 16 << 20, maxEntries: 1000 },
    },
    {
      name: 'more members than the entry limit',
      layers: [Array.from({ length: 60 }, (_, i) => ({ name: `e${i}`, content: '' }))],
      flatten: { refused: 'too-many-entries' },
      overlay: { refused: 'too-many-entries' },
      limits: { maxBytes: 1 << 30, maxEntries: 50 },
    },
  ];
}

/** The layers as gzip blobs (members are packed first). */
export async function layerBlobs(k: HostileCase): Promise<Buffer[]> {
  return Promise.all(k.layers.map(async (l) => (Buffer.isBuffer(l) ? l : gzip(await tarOf(l)))));
}
