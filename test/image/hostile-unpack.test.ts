// The hostile-archive corpus (hostile/corpus.ts) through every path that writes image content: the agent's
// unpack (per-layer overlay snapshots, ImageStore.unpack, also after a real registry pull), layers applied
// one on top of the other (flatten), and a Dockerfile ADD of the archive. Each case aims at a canary
// directory outside the root; the canary must stay byte for byte as it was, a refused layer must name its
// rule and member, and no snapshot or temp dir of a refused layer may remain.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  applyLayer,
  buildImage,
  ImageConfig,
  ImageStore,
  LayerLimits,
  MT,
  OciManifest,
} from '@tsstack/image';
import { requireRoot } from '@tsstack/testkit';
import { Canary, makeCanary } from './hostile/canary';
import { HostileCase, hostileCorpus, layerBlobs, Outcome } from './hostile/corpus';
import { startRegistry } from './registry-harness';

let canary: Canary;
let corpus: HostileCase[];
let tmp: string;

beforeAll(async () => {
  requireRoot();
  canary = makeCanary();
  corpus = await hostileCorpus(canary.dir);
});
afterAll(() => canary?.remove());
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsstack-hostile-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

const sha = (b: Buffer): string => 'sha256:' + createHash('sha256').update(b).digest('hex');

function diffIdOf(blob: Buffer): string {
  try {
    return sha(gunzipSync(blob));
  } catch {
    return sha(gunzipSync(blob, { finishFlush: 2 }));
  }
}

/** Stores an image made of `blobs` (gzip layers) straight into the store; returns its manifest digest. */
export async function storeLayers(store: ImageStore, ref: string, blobs: Buffer[]): Promise<string> {
  const cfg = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: {} as ImageConfig,
      rootfs: { type: 'layers', diff_ids: blobs.map(diffIdOf) },
    }),
  );
  const manifest: OciManifest = {
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    config: { mediaType: MT.ociConfig, digest: store.blobs.writeBuffer(cfg), size: cfg.length },
    layers: blobs.map((b) => ({
      mediaType: MT.ociLayerGzip,
      digest: store.blobs.writeBuffer(b),
      size: b.length,
    })),
  };
  const digest = store.blobs.writeBuffer(Buffer.from(JSON.stringify(manifest)));
  await store.tag(ref, digest);
  return digest;
}

/** Runs `act`, then checks the outcome and that the canary did not move. */
async function expectOutcome(outcome: Outcome, act: () => Promise<unknown>): Promise<void> {
  const before = canary.fingerprint();
  let error: Error | undefined;
  await act().catch((e: Error) => (error = e));
  expect(canary.fingerprint()).toBe(before);
  if (outcome === 'contained') {
    expect(error).toBeUndefined();
  } else {
    expect(error?.message).toMatch(new RegExp(`refused \\(${outcome.refused}\\)`));
    expect(error?.message).not.toContain(canary.secret);
  }
}

function snapshotDirs(store: ImageStore): string[] {
  return fs.existsSync(store.snapshots.dir) ? fs.readdirSync(store.snapshots.dir) : [];
}

describe('the agent unpack path (a snapshot per layer)', () => {
  test('every corpus case is refused or contained', async () => {
    for (const k of corpus) {
      for (let round = 0; round < (k.repeat ?? 1); round++) {
        const store = new ImageStore({ root: path.join(tmp, `store-${round}`), limits: k.limits });
        const digest = await storeLayers(store, 'hostile.test/unpack:1', await layerBlobs(k));
        await expectOutcome(k.overlay, () => store.unpack(digest)).catch((e: Error) => {
          throw new Error(`${k.name}: ${e.message}`);
        });
        if (k.overlay !== 'contained')
          expect(snapshotDirs(store).filter((d) => d.endsWith('.tmp'))).toEqual([]);
        fs.rmSync(store.root, { recursive: true, force: true });
      }
    }
  });

  test('a refused layer leaves no snapshot, the layers below it stay', async () => {
    const k = corpus.find((x) => x.name.startsWith('".."')) as HostileCase;
    const store = new ImageStore({ root: path.join(tmp, 'store') });
    const blobs = [...(await layerBlobs(corpus[1])), ...(await layerBlobs(k))];
    const digest = await storeLayers(store, 'hostile.test/two:1', blobs);
    await expect(store.unpack(digest)).rejects.toThrow(/member ".*file" refused \(path-dotdot\)/);
    expect(store.snapshots.list()).toEqual([store.snapshotIds(digest)[0]]);
  });

  test('device nodes and set-id files exist only inside the snapshot, in a store only root can enter', async () => {
    const k = corpus.find((x) => x.name.startsWith('device nodes')) as HostileCase;
    const store = new ImageStore({ root: path.join(tmp, 'store') });
    const digest = await storeLayers(store, 'hostile.test/dev:1', await layerBlobs(k));
    const [snap] = await store.unpack(digest);
    expect(fs.lstatSync(path.join(snap, 'dev/mem2')).isCharacterDevice()).toBe(true);
    expect(fs.lstatSync(path.join(snap, 'suid')).mode & 0o7777).toBe(0o4755);
    expect(fs.statSync(store.root).mode & 0o777).toBe(0o700);
  });

  test('an absolute name and writes through symlinks land under the root', async () => {
    const store = new ImageStore({ root: path.join(tmp, 'store') });
    const k = corpus.find((x) =>
      x.name.startsWith('a write through an absolute symlink to a directory'),
    ) as HostileCase;
    const [snap] = await store.unpack(await storeLayers(store, 'hostile.test/abs:1', await layerBlobs(k)));
    expect(fs.readFileSync(path.join(snap, canary.dir, 'file'), 'utf8')).toBe('pwned');
    expect(fs.readFileSync(path.join(snap, canary.dir, 'dir/new'), 'utf8')).toBe('pwned');
  });

  test('the file-then-symlink race ends with the symlinks, not with writes through them', async () => {
    const k = corpus.find((x) => x.name.includes('pending-write race')) as HostileCase;
    const store = new ImageStore({ root: path.join(tmp, 'store') });
    const [snap] = await store.unpack(await storeLayers(store, 'hostile.test/race:1', await layerBlobs(k)));
    for (const i of [0, 150, 319])
      expect(fs.readlinkSync(path.join(snap, `f${i}`))).toBe(`${canary.dir}/victim${i % 4}`);
  });

  test('a pull from a real registry of hostile images: refused or contained, canary intact', async () => {
    const reg = await startRegistry();
    try {
      const src = new ImageStore({ root: path.join(tmp, 'src'), insecureRegistries: [reg.host] });
      const picks = corpus.filter((k) => !k.limits && (k.repeat ?? 1) === 1).slice(0, 8);
      for (const [i, k] of picks.entries()) {
        await storeLayers(src, `hostile.test/p${i}:1`, await layerBlobs(k));
        await src.push(`hostile.test/p${i}:1`, { as: `${reg.host}/hostile/p${i}:1` });
      }
      for (const [i, k] of picks.entries()) {
        const store = new ImageStore({ root: path.join(tmp, `pull-${i}`), insecureRegistries: [reg.host] });
        await expectOutcome(k.overlay, () => store.pull(`${reg.host}/hostile/p${i}:1`, { unpack: true }));
        if (k.overlay !== 'contained') expect(await store.list()).toEqual([]);
      }
    } finally {
      await reg.stop();
    }
  });
});

describe('layers applied one on top of the other (flatten)', () => {
  test('every corpus case is refused or contained', async () => {
    for (const k of corpus) {
      for (let round = 0; round < (k.repeat ?? 1); round++) {
        const root = path.join(tmp, `root-${round}`);
        const blobs = await layerBlobs(k);
        const files = blobs.map((b, i) => {
          const f = path.join(tmp, `layer-${i}.tgz`);
          fs.writeFileSync(f, b);
          return f;
        });
        const apply = async (): Promise<void> => {
          for (const f of files) await applyLayer(root, f, { limits: k.limits as LayerLimits | undefined });
        };
        await expectOutcome(k.flatten, apply).catch((e: Error) => {
          throw new Error(`${k.name}: ${e.message}`);
        });
        fs.rmSync(root, { recursive: true, force: true });
      }
    }
  });
});

describe('Dockerfile ADD of an archive', () => {
  test('every single-layer corpus case is refused or contained', async () => {
    for (const k of corpus.filter((x) => x.layers.length === 1 && !x.limits)) {
      const ctx = path.join(tmp, 'ctx');
      fs.rmSync(ctx, { recursive: true, force: true });
      fs.mkdirSync(ctx);
      fs.writeFileSync(path.join(ctx, 'layer.tgz'), (await layerBlobs(k))[0]);
      fs.writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM scratch\nADD layer.tgz /x/\n');
      const store = new ImageStore({ root: path.join(tmp, 'build-store') });
      await expectOutcome(k.flatten, () =>
        buildImage(store, { context: ctx, tags: ['hostile.test/add:1'], noCache: true }),
      ).catch((e: Error) => {
        throw new Error(`${k.name}: ${e.message}`);
      });
    }
  });

  test("COPY --chown reads the image's own /etc/passwd, never the host's through a symlink", async () => {
    fs.writeFileSync(path.join(canary.dir, 'passwd'), 'evil:x:4242:4242::/:/bin/sh\n');
    try {
      const store = new ImageStore({ root: path.join(tmp, 'chown-store') });
      const layer = [{ name: 'etc', type: 'symlink' as const, linkname: canary.dir }];
      await storeLayers(store, 'hostile.test/etc:1', await layerBlobs({ ...corpus[0], layers: [layer] }));
      const ctx = path.join(tmp, 'ctx-chown');
      fs.mkdirSync(ctx);
      fs.writeFileSync(path.join(ctx, 'f'), 'f');
      fs.writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM hostile.test/etc:1\nCOPY --chown=evil f /f\n');
      await expect(buildImage(store, { context: ctx, tags: ['hostile.test/chown:1'] })).rejects.toThrow(
        /user "evil" is not in the image's \/etc\/passwd/,
      );
    } finally {
      fs.rmSync(path.join(canary.dir, 'passwd'));
    }
  });
});
