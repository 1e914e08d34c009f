// The local store on the real filesystem: import (OCI layout, docker archive, rootfs tar), export, list,
// pull policies, prepareRootfs mounted as a real overlay, remove while in use, prune.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { busyboxImage, BusyboxImage, requireRoot } from '@tsstack/testkit';
import { ImageStore } from '@tsstack/image';

let bb: BusyboxImage;
let tmp: string;
const mounts: string[] = [];

beforeAll(async () => {
  requireRoot();
  bb = await busyboxImage();
});
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsstack-image-store-'));
});
afterEach(() => {
  for (const m of mounts.splice(0)) {
    try {
      execFileSync('umount', [m]);
    } catch {
      /* already unmounted */
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('import an OCI layout, get by reference and digest, list', async () => {
  const store = new ImageStore({ root: path.join(tmp, 'store') });
  const img = await store.importOciLayout(bb.ociLayout, bb.reference);
  expect(img).toMatchObject({ reference: bb.reference, digest: bb.manifestDigest });
  expect(img.size).toBeGreaterThan(100_000);
  expect((await store.get(bb.manifestDigest))?.reference).toBe(bb.reference);
  expect((await store.list()).map((i) => i.reference)).toEqual([bb.reference]);
  expect(await store.get('tsstack.test/none:1')).toBeUndefined();
  await expect(store.ensure('tsstack.test/none:1', 'never')).rejects.toMatchObject({
    code: 'IMAGE_NOT_FOUND',
  });
  expect((await store.ensure(bb.reference, 'missing')).digest).toBe(bb.manifestDigest);
});

test('prepareRootfs gives dirs the kernel mounts as an overlay; containers stay apart', async () => {
  const store = new ImageStore({ root: path.join(tmp, 'store') });
  await store.importOciLayout(bb.ociLayout, bb.reference);
  const [a, b] = await Promise.all([
    store.prepareRootfs(bb.reference, 'ca'),
    store.prepareRootfs(bb.reference, 'cb'),
  ]);
  expect(a.lowerDirs).toEqual(b.lowerDirs);
  expect(a.upperDir).not.toBe(b.upperDir);
  const target = path.join(tmp, 'mnt');
  fs.mkdirSync(target);
  execFileSync('mount', [
    '-t',
    'overlay',
    'overlay',
    '-o',
    `lowerdir=${a.lowerDirs.join(':')},upperdir=${a.upperDir},workdir=${a.workDir}`,
    target,
  ]);
  mounts.push(target);
  expect(fs.readFileSync(path.join(target, 'etc/passwd'), 'utf8')).toContain('root:x:0:0');
  fs.writeFileSync(path.join(target, 'etc/written'), 'x');
  execFileSync('umount', [target]);
  mounts.pop();
  expect(fs.existsSync(path.join(a.upperDir, 'etc/written'))).toBe(true);
  expect(fs.existsSync(path.join(a.lowerDirs[0], 'etc/written'))).toBe(false);
  await expect(store.remove(bb.reference)).rejects.toMatchObject({ code: 'IMAGE_IN_USE' });
  await store.releaseRootfs('ca');
  await store.releaseRootfs('cb');
  await store.remove(bb.reference);
  const pruned = await store.prune();
  expect(pruned.removedBlobs).toBe(3);
  expect(store.blobs.list()).toEqual([]);
  expect(pruned.removedSnapshots).toBe(1);
  expect(store.snapshots.list()).toEqual([]);
});

test('export to an OCI layout and import it back; docker archive and rootfs tar import', async () => {
  const store = new ImageStore({ root: path.join(tmp, 'store') });
  await store.importOciLayout(bb.ociLayout, bb.reference);
  const out = path.join(tmp, 'out');
  await store.exportOciLayout(bb.reference, out);
  const other = new ImageStore({ root: path.join(tmp, 'other') });
  const back = await other.importOciLayout(out);
  expect(back).toMatchObject({ reference: bb.reference, digest: bb.manifestDigest });
  await store.exportOciLayout(bb.reference, path.join(tmp, 'out.tar'));
  const fromTar = new ImageStore({ root: path.join(tmp, 'from-tar') });
  expect((await fromTar.importOciLayout(path.join(tmp, 'out.tar'), 'again/bb:1')).digest).toBe(
    bb.manifestDigest,
  );
  expect(fs.readdirSync(fromTar.root).filter((f) => f.startsWith('tmp-'))).toEqual([]);

  // docker save layout: manifest.json, config json, layer tar.
  const arch = path.join(tmp, 'docker');
  fs.mkdirSync(arch);
  const cfgHex = bb.configDigest.split(':')[1];
  fs.copyFileSync(path.join(bb.ociLayout, 'blobs/sha256', cfgHex), path.join(arch, `${cfgHex}.json`));
  fs.copyFileSync(bb.layerPath, path.join(arch, 'layer.tar'));
  fs.writeFileSync(
    path.join(arch, 'manifest.json'),
    JSON.stringify([{ Config: `${cfgHex}.json`, RepoTags: ['saved/bb:2'], Layers: ['layer.tar'] }]),
  );
  execFileSync('tar', ['-cf', path.join(tmp, 'docker.tar'), '-C', arch, '.']);
  const saved = await other.importDockerArchive(path.join(tmp, 'docker.tar'));
  expect(saved.reference).toBe('docker.io/saved/bb:2');
  const dirs = await other.prepareRootfs('saved/bb:2', 'saved1');
  expect(fs.lstatSync(path.join(dirs.lowerDirs[0], 'bin/sh')).isSymbolicLink()).toBe(true);
  await other.releaseRootfs('saved1');

  // And back out as a docker save archive: same config, same layer content.
  await store.exportDockerArchive(bb.reference, path.join(tmp, 'saved.tar'));
  const listing = execFileSync('tar', ['-tf', path.join(tmp, 'saved.tar')], { encoding: 'utf8' });
  expect(listing).toMatch(/manifest\.json/);
  expect(listing).toMatch(/[a-f0-9]{64}\/layer\.tar/);
  const reloaded = new ImageStore({ root: path.join(tmp, 'reloaded') });
  const rl = await reloaded.importDockerArchive(path.join(tmp, 'saved.tar'));
  expect(rl.reference).toBe(bb.reference);
  expect(rl.config).toEqual((await store.get(bb.reference))?.config);
  const rlDirs = await reloaded.prepareRootfs(bb.reference, 'rl');
  expect(fs.existsSync(path.join(rlDirs.lowerDirs[0], 'bin/busybox'))).toBe(true);
  await reloaded.releaseRootfs('rl');

  const rootfsTar = path.join(tmp, 'rootfs.tar');
  execFileSync('tar', ['-cf', rootfsTar, '-C', bb.rootfs, '.']);
  const imported = await other.importRootfsTar(rootfsTar, 'local/rootfs:1', { Cmd: ['/bin/sh'] });
  expect(imported.config.Cmd).toEqual(['/bin/sh']);
});
