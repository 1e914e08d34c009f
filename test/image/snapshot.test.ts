// Per-layer snapshots on the real filesystem and kernel: two images with a common base layer share its
// snapshot dir; whiteouts and opaque dirs are overlayfs markers that a real overlay mount (in a private
// mount namespace, gone when the process exits) shows as deletions; reference counts drive prune.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { requireRoot } from '@tsstack/testkit';
import { ImageStore, RootfsDirs } from '@tsstack/image';
import { Entry, storeImage } from './layer-builder';

let tmp: string;
beforeAll(() => requireRoot());
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsstack-image-snap-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

const BASE: Entry[] = [
  { name: 'etc', type: 'directory' },
  { name: 'etc/keep', content: 'keep' },
  { name: 'etc/gone', content: 'gone' },
  { name: 'opq', type: 'directory' },
  { name: 'opq/old1', content: '1' },
  { name: 'opq/old2', content: '2' },
  { name: 'big', content: 'shared bytes', mode: 0o640, uid: 1000, gid: 1000 },
];

/** Runs a shell script in a private mount namespace where `dirs` is mounted as an overlay at $M. */
function inOverlay(dirs: RootfsDirs, script: string): string {
  const m = path.join(tmp, `mnt-${Math.random().toString(16).slice(2)}`);
  fs.mkdirSync(m);
  const opts = `lowerdir=${dirs.lowerDirs.join(':')},upperdir=${dirs.upperDir},workdir=${dirs.workDir}`;
  return execFileSync(
    'unshare',
    ['-m', '--propagation', 'private', 'sh', '-ec', `mount -t overlay overlay -o ${opts} "$M"; ${script}`],
    { encoding: 'utf8', env: { ...process.env, M: m } },
  );
}

function getxattr(p: string, name: string): string {
  return execFileSync(
    'python3',
    ['-c', 'import os,sys; print(os.getxattr(sys.argv[1], sys.argv[2]).decode())', p, name],
    { encoding: 'utf8' },
  ).trim();
}

test('two images sharing a base layer share its snapshot; the overlay shows deletions', async () => {
  const store = new ImageStore({ root: path.join(tmp, 'store') });
  await storeImage(store, 'local/a:1', [
    BASE,
    [
      { name: 'etc/.wh.gone' },
      { name: 'opq', type: 'directory' },
      { name: 'opq/.wh..wh..opq' },
      { name: 'opq/new', content: 'n' },
      { name: 'etc/hard', type: 'link', linkname: 'etc/keep' },
    ],
  ]);
  await storeImage(store, 'local/b:1', [BASE, [{ name: 'etc/b-only', content: 'b' }]]);
  const [a, b] = await Promise.all([
    store.prepareRootfs('local/a:1', 'ca'),
    store.prepareRootfs('local/b:1', 'cb'),
  ]);

  // lowerDirs are top-most first: the shared base is last for both.
  expect(a.lowerDirs).toHaveLength(2);
  expect(a.lowerDirs[1]).toBe(b.lowerDirs[1]);
  expect(a.lowerDirs[0]).not.toBe(b.lowerDirs[0]);
  expect(store.snapshots.list()).toHaveLength(3);
  expect(fs.readFileSync(path.join(a.lowerDirs[1], 'big'), 'utf8')).toBe('shared bytes');
  expect(fs.statSync(path.join(a.lowerDirs[1], 'big')).uid).toBe(1000);

  // Markers are overlayfs's own: char 0/0 whiteout, opaque xattr; the hardlink to a lower file is a copy.
  const wh = fs.lstatSync(path.join(a.lowerDirs[0], 'etc/gone'));
  expect(wh.isCharacterDevice() && wh.rdev === 0).toBe(true);
  expect(getxattr(path.join(a.lowerDirs[0], 'opq'), 'trusted.overlay.opaque')).toBe('y');
  expect(fs.readFileSync(path.join(a.lowerDirs[0], 'etc/hard'), 'utf8')).toBe('keep');

  const seenA = inOverlay(
    a,
    'ls "$M/etc"; echo --; ls "$M/opq"; echo --; echo w > "$M/etc/keep"; cat "$M/etc/keep"',
  );
  expect(seenA.split('--\n').map((s) => s.trim().split('\n'))).toEqual([['hard', 'keep'], ['new'], ['w']]);
  const seenB = inOverlay(b, 'ls "$M/etc"; echo --; ls "$M/opq"');
  expect(seenB.split('--\n').map((s) => s.trim().split('\n'))).toEqual([
    ['b-only', 'gone', 'keep'],
    ['old1', 'old2'],
  ]);
  // The container's write went to its own upper; the shared snapshot is untouched.
  expect(fs.readFileSync(path.join(a.upperDir, 'etc/keep'), 'utf8')).toBe('w\n');
  expect(fs.readFileSync(path.join(a.lowerDirs[1], 'etc/keep'), 'utf8')).toBe('keep');

  // Reference counts: base used by 2 images + 2 containers, the tops by 1 + 1.
  const baseId = path.basename(a.lowerDirs[1]);
  expect(store.snapshotUsage().get(baseId)).toBe(4);
  expect(store.snapshotUsage().get(path.basename(a.lowerDirs[0]))).toBe(2);

  await store.releaseRootfs('ca');
  await store.remove('local/a:1');
  const pruned = await store.prune();
  expect(pruned.removedSnapshots).toBe(1);
  expect(store.snapshots.list().sort()).toEqual([baseId, path.basename(b.lowerDirs[0])].sort());
  await store.releaseRootfs('cb');
  await store.remove('local/b:1');
  expect((await store.prune()).removedSnapshots).toBe(2);
  expect(store.snapshots.list()).toEqual([]);
});

test('a layer whose content does not match its diff id is refused and leaves no snapshot', async () => {
  const store = new ImageStore({ root: path.join(tmp, 'store') });
  await storeImage(store, 'local/bad:1', [BASE], {}, { badDiffId: true });
  await expect(store.prepareRootfs('local/bad:1', 'cbad')).rejects.toMatchObject({
    code: 'IMAGE_DIGEST_MISMATCH',
  });
  expect(fs.readdirSync(store.snapshots.dir)).toEqual([]);
  await store.releaseRootfs('cbad');
});

test('an image without layers gets one empty lower dir', async () => {
  const store = new ImageStore({ root: path.join(tmp, 'store') });
  await storeImage(store, 'local/empty:1', []);
  const d = await store.prepareRootfs('local/empty:1', 'ce');
  expect(d.lowerDirs).toHaveLength(1);
  expect(fs.readdirSync(d.lowerDirs[0])).toEqual([]);
  await store.releaseRootfs('ce');
});

test('prune keeps what a live lease holds and drops leases of dead processes', async () => {
  const store = new ImageStore({ root: path.join(tmp, 'store') });
  const digest = await storeImage(store, 'local/leased:1', [BASE]);
  const lowers = await store.unpack(digest);
  await store.remove('local/leased:1');
  const lease = store.leases.create();
  lease.add([digest, ...store.blobs.list()], store.snapshotIds(digest));
  expect(await store.prune()).toMatchObject({ removedBlobs: 0, removedSnapshots: 0 });
  // The same lease, as if its process had died.
  const dead = path.join(store.leases.dir, '999999999.dead.json');
  fs.copyFileSync(lease.file, dead);
  fs.writeFileSync(dead, fs.readFileSync(dead, 'utf8').replace(/"pid":\d+/, '"pid":999999999'));
  lease.release();
  expect(await store.prune()).toMatchObject({ removedBlobs: 3, removedSnapshots: 1 });
  expect(fs.existsSync(dead)).toBe(false);
  expect(fs.existsSync(lowers[0])).toBe(false);
});

test('an image of 60 layers still mounts: long lowerdir lists go through short links', async () => {
  const store = new ImageStore({ root: path.join(tmp, 'store') });
  const layers: Entry[][] = Array.from({ length: 60 }, (_, i) => [{ name: `f${i}`, content: String(i) }]);
  layers.push([{ name: '.wh.f0' }]);
  await storeImage(store, 'local/tall:1', layers);
  const d = await store.prepareRootfs('local/tall:1', 'tall');
  expect(d.lowerDirs).toHaveLength(61);
  expect(d.lowerDirs.join(':').length).toBeLessThan(3500);
  const seen = inOverlay(d, 'ls "$M" | wc -l; cat "$M/f59"; echo; test ! -e "$M/f0" && echo f0-gone');
  expect(seen.trim().split('\n')).toEqual(['59', '59', 'f0-gone']);
  await store.releaseRootfs('tall');
  await store.remove('local/tall:1');
  await store.prune();
  expect(fs.readdirSync(store.snapshots.linkDir)).toEqual([]);
});
