// Pull and push against a real docker-registry on loopback: tag and digest, multi-platform index, Basic
// auth, corrupted blobs, cut connections, a dead registry, and deduplicated concurrent pulls.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { busyboxImage, BusyboxImage } from '@tsstack/testkit';
import { ImageStore, MT, sha256 } from '@tsstack/image';
import { Registry, startProxy, startRegistry } from './registry-harness';

let bb: BusyboxImage;
let reg: Registry;
let authReg: Registry;
let tmp: string;
const cleanups: Array<() => Promise<void>> = [];

function storeDir(name: string): string {
  return path.join(tmp, name);
}

function emptyTmp(root: string): boolean {
  const t = path.join(root, 'tmp');
  return !fs.existsSync(t) || fs.readdirSync(t).length === 0;
}

beforeAll(async () => {
  bb = await busyboxImage();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsstack-image-reg-'));
  reg = await startRegistry();
  authReg = await startRegistry({ user: 'alice', password: 's3cret' });
  const src = new ImageStore({ root: storeDir('src'), insecureRegistries: [reg.host] });
  await src.importOciLayout(bb.ociLayout, bb.reference);
  await src.push(bb.reference, { as: `${reg.host}/test/busybox:1` });
});

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await reg?.stop();
  await authReg?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('pull by tag and by digest, content verified and unpackable', async () => {
  const store = new ImageStore({ root: storeDir('pull'), insecureRegistries: [reg.host] });
  const events: string[] = [];
  const img = await store.pull(`${reg.host}/test/busybox:1`, { onProgress: (e) => events.push(e.phase) });
  expect(img.digest).toBe(bb.manifestDigest);
  expect(img.layers.map((l) => l.digest)).toEqual([bb.layerDigest]);
  expect(events).toContain('download');
  const byDigest = await store.pull(`${reg.host}/test/busybox@${bb.manifestDigest}`);
  expect(byDigest.digest).toBe(bb.manifestDigest);
  const dirs = await store.prepareRootfs(`${reg.host}/test/busybox:1`, 'c1');
  expect(fs.existsSync(path.join(dirs.lowerDirs[0], 'bin/busybox'))).toBe(true);
  await store.releaseRootfs('c1');
});

test('ensure pulls and unpacks as the layers arrive; prepareRootfs then finds the snapshots', async () => {
  const store = new ImageStore({ root: storeDir('ensure'), insecureRegistries: [reg.host] });
  await store.ensure(`${reg.host}/test/busybox:1`, 'missing');
  expect(store.snapshots.list()).toHaveLength(1);
  const dirs = await store.prepareRootfs(`${reg.host}/test/busybox:1`, 'ens');
  expect(dirs.lowerDirs).toEqual([path.join(store.snapshots.dir, store.snapshots.list()[0])]);
  await store.releaseRootfs('ens');
  expect(fs.readdirSync(path.join(store.root, 'leases'))).toEqual([]);
});

test('multi-platform index picks the requested platform', async () => {
  const store = new ImageStore({ root: storeDir('index'), insecureRegistries: [reg.host] });
  await store.importOciLayout(bb.ociLayout, bb.reference);
  const rootfsTar = path.join(tmp, 'other.tar');
  fs.writeFileSync(rootfsTar, Buffer.alloc(1024)); // an empty tar (two zero blocks)
  const other = await store.importRootfsTar(rootfsTar, 'tsstack.test/other:1', { Cmd: ['other'] });
  await store.push('tsstack.test/other:1', { as: `${reg.host}/test/multi:other` });
  await store.push(bb.reference, { as: `${reg.host}/test/multi:bb` });
  const size = (d: string): number => store.blobs.read(d).length;
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MT.ociIndex,
      manifests: [
        {
          mediaType: MT.ociManifest,
          digest: other.digest,
          size: size(other.digest),
          platform: { os: 'linux', architecture: 's390x' },
        },
        {
          mediaType: MT.ociManifest,
          digest: bb.manifestDigest,
          size: size(bb.manifestDigest),
          platform: { os: 'linux', architecture: 'amd64' },
        },
      ],
    }),
  );
  await store.client(reg.host).putManifest('test/multi', 'latest', MT.ociIndex, index);
  const puller = new ImageStore({ root: storeDir('index-pull'), insecureRegistries: [reg.host] });
  const s390 = await puller.pull(`${reg.host}/test/multi`, {
    platform: { os: 'linux', architecture: 's390x' },
  });
  expect(s390.digest).toBe(other.digest);
  expect(s390.config.Cmd).toEqual(['other']);
  const amd = await puller.pull(`${reg.host}/test/multi`, {
    platform: { os: 'linux', architecture: 'amd64' },
  });
  expect(amd.digest).toBe(bb.manifestDigest);
  expect(puller.blobs.has(sha256(index))).toBe(true);
  await expect(
    puller.pull(`${reg.host}/test/multi`, { platform: { os: 'linux', architecture: 'mips' } }),
  ).rejects.toThrow(/no matching platform/);
});

test('push to another repository of the same registry mounts blobs instead of uploading', async () => {
  const store = new ImageStore({ root: storeDir('mount'), insecureRegistries: [reg.host] });
  await store.pull(`${reg.host}/test/busybox:1`);
  const how: string[] = [];
  await store.push(`${reg.host}/test/busybox:1`, {
    as: `${reg.host}/mounted/busybox:1`,
    onProgress: (e) => e.how && how.push(e.how),
  });
  expect(how).toEqual(['mounted', 'mounted']);
  const again: string[] = [];
  await store.push(`${reg.host}/test/busybox:1`, {
    as: `${reg.host}/mounted/busybox:2`,
    onProgress: (e) => e.how && again.push(e.how),
  });
  expect(again).toEqual(['exists', 'exists']);
  const puller = new ImageStore({ root: storeDir('mount-pull'), insecureRegistries: [reg.host] });
  expect((await puller.pull(`${reg.host}/mounted/busybox:1`)).digest).toBe(bb.manifestDigest);
});

describe('Basic auth', () => {
  const authFile = (user: string, password: string): string => {
    const f = path.join(tmp, `auth-${user}-${password}.json`);
    fs.writeFileSync(f, JSON.stringify({ [authReg.host]: { username: user, password } }), { mode: 0o600 });
    return f;
  };
  test('push and pull with the right password', async () => {
    const store = new ImageStore({
      root: storeDir('auth-ok'),
      insecureRegistries: [authReg.host],
      authFile: authFile('alice', 's3cret'),
    });
    await store.importOciLayout(bb.ociLayout, bb.reference);
    await store.push(bb.reference, { as: `${authReg.host}/private/bb:1` });
    const puller = new ImageStore({
      root: storeDir('auth-pull'),
      insecureRegistries: [authReg.host],
      authFile: authFile('alice', 's3cret'),
    });
    expect((await puller.pull(`${authReg.host}/private/bb:1`)).digest).toBe(bb.manifestDigest);
  });
  test('credentials from an existing Docker config.json', async () => {
    const dockerConfig = path.join(tmp, 'docker-config.json');
    const auth = Buffer.from('alice:s3cret').toString('base64');
    fs.writeFileSync(dockerConfig, JSON.stringify({ auths: { [`https://${authReg.host}`]: { auth } } }));
    const store = new ImageStore({
      root: storeDir('auth-docker-config'),
      insecureRegistries: [authReg.host],
      authFile: path.join(tmp, 'no-such-auth.json'),
      dockerConfig,
    });
    expect((await store.pull(`${authReg.host}/private/bb:1`)).digest).toBe(bb.manifestDigest);
  });
  test('wrong password and no credentials give clear errors', async () => {
    const wrong = new ImageStore({
      root: storeDir('auth-bad'),
      insecureRegistries: [authReg.host],
      authFile: authFile('alice', 'nope'),
    });
    await expect(wrong.pull(`${authReg.host}/private/bb:1`)).rejects.toThrow(
      /wrong user name or password.*tsstack login/,
    );
    const none = new ImageStore({ root: storeDir('auth-none'), insecureRegistries: [authReg.host] });
    await expect(none.pull(`${authReg.host}/private/bb:1`)).rejects.toMatchObject({
      code: 'IMAGE_REGISTRY_AUTH',
    });
    expect(await wrong.list()).toEqual([]);
  });
});

describe('through a faulty proxy', () => {
  test('a blob corrupted in transit is refused and nothing is stored', async () => {
    const proxy = await startProxy(reg.host);
    cleanups.push(proxy.stop);
    proxy.mode = 'corrupt-blobs';
    const root = storeDir('corrupt');
    const store = new ImageStore({ root, insecureRegistries: [proxy.host] });
    await expect(store.pull(`${proxy.host}/test/busybox:1`)).rejects.toMatchObject({
      code: 'IMAGE_DIGEST_MISMATCH',
    });
    expect(await store.list()).toEqual([]);
    expect(store.blobs.list()).toEqual([]);
    expect(emptyTmp(root)).toBe(true);
  });
  test('connections cut mid-blob are retried, then fail clearly with no partial state', async () => {
    const proxy = await startProxy(reg.host);
    cleanups.push(proxy.stop);
    proxy.mode = 'cut-blobs';
    const root = storeDir('cut');
    const store = new ImageStore({ root, insecureRegistries: [proxy.host], retries: 1 });
    await expect(store.pull(`${proxy.host}/test/busybox:1`)).rejects.toMatchObject({
      code: 'IMAGE_REGISTRY_UNAVAILABLE',
    });
    expect(proxy.blobRequests).toBeGreaterThanOrEqual(3);
    expect(await store.list()).toEqual([]);
    expect(store.blobs.list()).toEqual([]);
    expect(emptyTmp(root)).toBe(true);
  });
  test('two concurrent pulls of one image download each blob once', async () => {
    const proxy = await startProxy(reg.host);
    cleanups.push(proxy.stop);
    const store = new ImageStore({ root: storeDir('concurrent'), insecureRegistries: [proxy.host] });
    const [a, b] = await Promise.all([
      store.pull(`${proxy.host}/test/busybox:1`),
      store.pull(`${proxy.host}/test/busybox:1`),
    ]);
    expect(a.digest).toBe(b.digest);
    expect(proxy.blobRequests).toBe(2); // config + one layer
  });
});

test('a registry killed mid-pull (after the manifest) is retried, then fails clearly with no partial state', async () => {
  const doomed = await startRegistry();
  cleanups.push(doomed.stop);
  const src = new ImageStore({ root: storeDir('doomed-src'), insecureRegistries: [doomed.host] });
  await src.importOciLayout(bb.ociLayout, bb.reference);
  await src.push(bb.reference, { as: `${doomed.host}/test/busybox:1` });
  const proxy = await startProxy(doomed.host);
  cleanups.push(proxy.stop);
  proxy.beforeBlob = () => doomed.stop();
  const root = storeDir('doomed');
  const store = new ImageStore({ root, insecureRegistries: [proxy.host], retries: 1 });
  await expect(store.pull(`${proxy.host}/test/busybox:1`)).rejects.toMatchObject({
    code: 'IMAGE_REGISTRY_UNAVAILABLE',
  });
  expect(proxy.blobRequests).toBeGreaterThanOrEqual(3);
  expect(await store.list()).toEqual([]);
  expect(store.blobs.list()).toEqual([]);
  expect(emptyTmp(root)).toBe(true);
});

test('a registry killed before the pull gives a clear unavailable error', async () => {
  const dead = await startRegistry();
  const host = dead.host;
  await dead.stop();
  const store = new ImageStore({ root: storeDir('dead'), insecureRegistries: [host], retries: 1 });
  await expect(store.pull(`${host}/test/busybox:1`)).rejects.toThrow(/unavailable.*retry/);
  expect(await store.list()).toEqual([]);
});
