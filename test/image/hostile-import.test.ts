// Imports of hostile image archives and layouts: the corpus's layers wrapped in every import format
// (docker save, OCI archive, OCI layout directory, plain rootfs tar) and then unpacked as the agent does,
// and archives whose own structure is hostile (paths out of the archive, symlink members to host files,
// bad digests, smuggled content, bad references). A refused import names the member and the rule, never
// quotes content, stores no blob and tags nothing; the canary outside stays byte for byte as it was.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ImageStore } from '@tsstack/image';
import { requireRoot, TSSTACK_BIN } from '@tsstack/testkit';
import { configFor, dockerSave, ociMembers, writeDir } from './hostile/archives';
import { Canary, makeCanary, treeOf } from './hostile/canary';
import { HostileCase, hostileCorpus, layerBlobs } from './hostile/corpus';
import { gzip, tarOf } from './hostile/tar-craft';

let canary: Canary;
let corpus: HostileCase[];
let tmp: string;
let good: Buffer[];

beforeAll(async () => {
  requireRoot();
  canary = makeCanary();
  corpus = await hostileCorpus(canary.dir);
  good = [gzip(await tarOf([{ name: 'etc/hello', content: 'hello\n' }]))];
});
afterAll(() => canary?.remove());
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsstack-hostile-import-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

const sha = (b: Buffer | string): string => 'sha256:' + createHash('sha256').update(b).digest('hex');

function file(name: string, data: Buffer): string {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, data);
  return f;
}

/** A store holding one good image, and its file tree: a refused import must leave exactly this. */
async function storeWithOneImage(): Promise<{ store: ImageStore; tree: string[] }> {
  const store = new ImageStore({ root: path.join(tmp, 'store') });
  await store.import(file('good.tar', await dockerSave(good, 'good.test/img:1')));
  return { store, tree: treeOf(store.root) };
}

type Format = 'docker' | 'oci-archive' | 'oci-dir' | 'rootfs';

async function importAs(store: ImageStore, format: Format, blobs: Buffer[], ref: string): Promise<string> {
  if (format === 'docker') return (await store.import(file('in.tar', await dockerSave(blobs, ref)))).digest;
  if (format === 'oci-archive')
    return (await store.import(file('in-oci.tar', await tarOf(ociMembers(blobs, ref))))).digest;
  if (format === 'oci-dir') {
    const dir = path.join(tmp, 'layout');
    fs.rmSync(dir, { recursive: true, force: true });
    writeDir(dir, ociMembers(blobs, ref));
    return (await store.import(dir)).digest;
  }
  return (await store.import(file('rootfs.tgz', blobs[0]), { ref, format: 'rootfs' })).digest;
}

describe.each<Format>(['docker', 'oci-archive', 'oci-dir', 'rootfs'])(
  'the corpus imported as %s',
  (format) => {
    test('then unpacked: every case refused or contained, the canary intact', async () => {
      for (const k of corpus.filter((c) => format !== 'rootfs' || c.layers.length === 1)) {
        const store = new ImageStore({ root: path.join(tmp, 'store'), limits: k.limits });
        const before = canary.fingerprint();
        let error: Error | undefined;
        await importAs(store, format, await layerBlobs(k), 'hostile.test/img:1')
          .then((digest) => store.unpack(digest))
          .catch((e: Error) => (error = e));
        expect({ name: k.name, canary: canary.fingerprint() }).toEqual({ name: k.name, canary: before });
        if (k.overlay === 'contained')
          expect({ name: k.name, error }).toEqual({ name: k.name, error: undefined });
        else expect(`${k.name}: ${error?.message}`).toMatch(new RegExp(`refused \\(${k.overlay.refused}\\)`));
        fs.rmSync(store.root, { recursive: true, force: true });
      }
    });
  },
);

describe('hostile archive structure: refused, nothing stored, nothing tagged, no content quoted', () => {
  async function expectRefused(src: string, rule: string, member?: string): Promise<void> {
    const { store, tree } = await storeWithOneImage();
    const before = canary.fingerprint();
    const err = await store.import(src, { ref: 'hostile.test/x:1' }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(new RegExp(`refused \\(${rule}\\)`));
    if (member) expect(err?.message).toContain(`member ${JSON.stringify(member)}`);
    expect(err?.message).not.toContain(canary.secret);
    expect(treeOf(store.root)).toEqual(tree);
    expect((await store.list()).map((i) => i.reference)).toEqual(['good.test/img:1']);
    expect(canary.fingerprint()).toBe(before);
  }

  test('docker save: a Config path with ".."', async () => {
    const manifest = [
      { Config: `../../../../../../..${canary.dir}/shadow`, RepoTags: ['a/b:1'], Layers: [] },
    ];
    await expectRefused(file('a.tar', await dockerSave(good, 'a/b:1', { manifest })), 'path-dotdot');
  });

  test('docker save: a Layers path with ".."', async () => {
    const config = `${sha(configFor(good)).slice(7)}.json`;
    const manifest = [{ Config: config, RepoTags: ['a/b:1'], Layers: ['../escape/layer.tar'] }];
    await expectRefused(file('a.tar', await dockerSave(good, 'a/b:1', { manifest })), 'path-dotdot');
  });

  test('docker save: an absolute Config path names no member', async () => {
    const manifest = [{ Config: `${canary.dir}/shadow`, Layers: [] }];
    await expectRefused(file('a.tar', await dockerSave(good, 'a/b:1', { manifest })), 'path-absolute');
  });

  test('docker save: the config is a symlink member to a host file (absolute and relative)', async () => {
    for (const linkname of [`${canary.dir}/shadow`, `../../../../../../..${canary.dir}/shadow`]) {
      const manifest = [{ Config: 'cfg.json', RepoTags: ['a/b:1'], Layers: ['0/layer.tar'] }];
      const extra = [{ name: 'cfg.json', type: 'symlink' as const, linkname }];
      await expectRefused(
        file('a.tar', await dockerSave(good, 'a/b:1', { manifest, extra })),
        'link-outside',
      );
    }
  });

  test('docker save: manifest.json holding host content is refused without quoting it', async () => {
    const tarball = await tarOf([{ name: 'manifest.json', content: canary.secret }]);
    await expectRefused(file('a.tar', tarball), 'document', 'manifest.json');
  });

  test('docker save: a layer whose content is not the diff id in the config', async () => {
    const tarball = await tarOf([
      {
        name: 'manifest.json',
        content: JSON.stringify([{ Config: 'c.json', RepoTags: ['a/b:1'], Layers: ['l.tar'] }]),
      },
      { name: 'c.json', content: configFor(good) },
      { name: 'l.tar', content: await tarOf([{ name: 'x', content: 'x' }]) },
    ]);
    await expectRefused(file('a.tar', tarball), 'diff-id-mismatch', 'l.tar');
  });

  test('docker save: a RepoTags entry that is no reference', async () => {
    const { store, tree } = await storeWithOneImage();
    const err = await store
      .import(file('a.tar', await dockerSave(good, '../../Evil:!')))
      .catch((e: Error) => e);
    expect((err as Error).message).toMatch(/refused \(reference\): \[0\]\.RepoTags\[0\]/);
    expect(treeOf(store.root)).toEqual(tree);
    expect((await store.list()).length).toBe(1);
  });

  test('OCI: an index digest that is not sha256:<hex> (sha256:../..)', async () => {
    const index = {
      schemaVersion: 2,
      manifests: [{ mediaType: 'x', digest: 'sha256:../../etc/shadow', size: 1 }],
    };
    await expectRefused(
      file('o.tar', await tarOf(ociMembers(good, 'a/b:1', { index }))),
      'document',
      'index.json',
    );
  });

  test('OCI: a blob whose content does not match its digest', async () => {
    await expectRefused(
      file('o.tar', await tarOf(ociMembers(good, 'a/b:1', { corrupt: sha(good[0]) }))),
      'digest-mismatch',
    );
  });

  test('OCI layout directory: a blob that is a symlink to a host file with the right digest', async () => {
    const secret = Buffer.from(canary.secret);
    const dir = path.join(tmp, 'layout');
    writeDir(dir, ociMembers(good, 'a/b:1'));
    // The index now names the host file's digest as its manifest; the blob is a symlink to that file.
    const index = {
      schemaVersion: 2,
      manifests: [
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha(secret), size: secret.length },
      ],
    };
    fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify(index));
    fs.symlinkSync(path.join(canary.dir, 'shadow'), path.join(dir, 'blobs/sha256', sha(secret).slice(7)));
    await expectRefused(dir, 'member-missing');
  });

  test('OCI archive: a blob member that is a symlink to a host file', async () => {
    const secret = Buffer.from(canary.secret);
    const index = {
      schemaVersion: 2,
      manifests: [
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha(secret), size: secret.length },
      ],
    };
    const members = [
      ...ociMembers(good, 'a/b:1', { index }),
      {
        name: `blobs/sha256/${sha(secret).slice(7)}`,
        type: 'symlink' as const,
        linkname: `${canary.dir}/shadow`,
      },
    ];
    await expectRefused(file('o.tar', await tarOf(members)), 'link-outside');
  });

  test('a truncated archive', async () => {
    const whole = await dockerSave(good, 'a/b:1');
    await expectRefused(file('t.tar', whole.subarray(0, 1700)), 'malformed');
  });
});

describe('formats as users expect them', () => {
  test('a symlinked duplicate layer in a docker save archive (as docker writes them) imports', async () => {
    const store = new ImageStore({ root: path.join(tmp, 'store') });
    const manifest = [
      { Config: 'c.json', RepoTags: ['dup.test/img:1'], Layers: ['0/layer.tar', '1/layer.tar'] },
    ];
    const cfg = configFor([good[0], good[0]]);
    const layer = await tarOf([{ name: 'etc/hello', content: 'hello\n' }]);
    const tarball = await tarOf([
      { name: 'manifest.json', content: JSON.stringify(manifest) },
      { name: 'c.json', content: cfg },
      { name: '0/layer.tar', content: layer },
      { name: '1/layer.tar', type: 'symlink', linkname: '../0/layer.tar' },
    ]);
    const img = await store.import(file('dup.tar', tarball));
    expect(img.reference).toBe('dup.test/img:1');
    expect(img.layers.map((l) => l.digest)).toEqual([sha(layer), sha(layer)]);
  });

  test('tsstack image import finds the format itself, or says which flag to pass', async () => {
    const root = path.join(tmp, 'cli-store');
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [TSSTACK_BIN, 'image', 'import', ...args], {
        env: { ...process.env, TSSTACK_IMAGE_ROOT: root },
        encoding: 'utf8',
      });
    const rootfs = cli(file('rootfs.tgz', good[0]), 'plain.test/rootfs:1');
    expect(rootfs.stderr).toBe('');
    expect(rootfs.stdout).toMatch(/^plain\.test\/rootfs:1 sha256:/);
    expect(cli(file('d.tar', await dockerSave(good, 'saved.test/img:2'))).stdout).toMatch(
      /^saved\.test\/img:2 /,
    );
    expect(cli(file('o.tar', await tarOf(ociMembers(good, 'oci.test/img:3')))).stdout).toMatch(
      /^oci\.test\/img:3 /,
    );
    const junk = cli(file('junk.bin', Buffer.from(canary.secret)), 'x.test/y:1');
    expect(junk.status).toBe(1);
    expect(junk.stderr).toMatch(/neither a docker-save archive, an OCI archive nor a root filesystem tar/);
    expect(junk.stderr).not.toContain(canary.secret);
    const noRef = cli(file('rootfs2.tgz', good[0]));
    expect(noRef.stderr).toMatch(/names no image: pass a reference/);
    expect(cli(file('r.tgz', good[0]), 'a/b:1', '--docker', '--rootfs').status).toBe(2);
  });

  test('a damaged reference in refs.json does not break ls, export or rm of the others', async () => {
    const { store } = await storeWithOneImage();
    await store.import(file('o.tar', await tarOf(ociMembers(good, 'other.test/img:1'))));
    const refs = path.join(store.root, 'refs.json');
    const doc = JSON.parse(fs.readFileSync(refs, 'utf8')) as Record<string, unknown>;
    doc['../../evil'] = { digest: 'sha256:../..', createdAt: '' };
    doc['docker.io/library/broken:1'] = { digest: sha('missing config'), createdAt: '' };
    store.blobs.writeBuffer(Buffer.from('{"schemaVersion":2,"config":{"digest":"sha256:00"},"layers":[]}'));
    doc['docker.io/library/broken2:1'] = {
      digest: sha('{"schemaVersion":2,"config":{"digest":"sha256:00"},"layers":[]}'),
      createdAt: '',
    };
    fs.writeFileSync(refs, JSON.stringify(doc));
    expect((await store.list()).map((i) => i.reference).sort()).toEqual([
      'good.test/img:1',
      'other.test/img:1',
    ]);
    await store.exportOciLayout('good.test/img:1', path.join(tmp, 'out'));
    await store.remove('docker.io/library/broken2:1');
    await store.remove('other.test/img:1');
    expect((await store.list()).map((i) => i.reference)).toEqual(['good.test/img:1']);
  });

  test('the store is root-only, and an older 0755 store is tightened when opened', async () => {
    const root = path.join(tmp, 'old-store');
    fs.mkdirSync(root, { mode: 0o755 });
    fs.chmodSync(root, 0o755);
    new ImageStore({ root });
    expect(fs.statSync(root).mode & 0o777).toBe(0o700);
    const asNobody = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'ls', root], {
      encoding: 'utf8',
    });
    expect(asNobody.status).not.toBe(0);
    expect(asNobody.stderr).toMatch(/Permission denied/);
  });
});
