// bench:image — pull + unpack of a generated image (>= 50 MB: many small files and large incompressible
// ones) from a loopback docker-registry, in two shapes: six layers (one of small files, five of large
// files), and the same files as one single large layer. tsstack's ImageStore (pull, then per-layer
// snapshots through the confined unpacker) versus `skopeo copy` + `umoci unpack` (Debian's tools as the
// peer) on the same image in the same run. Cold store each round, rounds alternate.
// Last line: {"tsstack_s","peer_s","ratio","single_tsstack_s","single_peer_s","single_ratio"}.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ImageStore } from '@tsstack/image';
import { startRegistry } from '../test/image/registry-harness';
import { BIG_LAYERS, generateImage, ImageShape } from './image-fixture';

const ROUNDS = Number(process.env.ROUNDS ?? 3);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function fileCount(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true }))
    n += e.isDirectory() ? fileCount(path.join(dir, e.name)) : e.isFile() ? 1 : 0;
  return n;
}

interface Rounds {
  ours: number[];
  theirs: number[];
}

/** Alternating rounds of tsstack and the peer on one pushed image, each from a cold store. */
async function measure(regHost: string, remote: string, layerCount: number, tmp: string): Promise<Rounds> {
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const root = path.join(tmp, `ours-${i}`);
    let t = process.hrtime.bigint();
    const store = new ImageStore({ root, insecureRegistries: [regHost] });
    const img = await store.pull(remote, { unpack: true });
    const lowers = await store.unpack(img.digest);
    ours.push(Number(process.hrtime.bigint() - t) / 1e9);
    if (lowers.length !== layerCount) throw new Error(`expected ${layerCount} snapshots`);
    const ourFiles = lowers.reduce((n, d) => n + fileCount(d), 0);
    fs.rmSync(root, { recursive: true, force: true });

    const layout = path.join(tmp, `skopeo-${i}`);
    const bundle = path.join(tmp, `bundle-${i}`);
    t = process.hrtime.bigint();
    execFileSync('skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${remote}`, `oci:${layout}:t`]);
    execFileSync('umoci', ['unpack', '--image', `${layout}:t`, bundle], { stdio: 'ignore' });
    theirs.push(Number(process.hrtime.bigint() - t) / 1e9);
    // Same content on both sides (the generated image has no whiteouts: file counts add up).
    const peerFiles = fileCount(path.join(bundle, 'rootfs'));
    if (peerFiles !== ourFiles) throw new Error(`tsstack unpacked ${ourFiles} files, umoci ${peerFiles}`);
    fs.rmSync(layout, { recursive: true, force: true });
    fs.rmSync(bundle, { recursive: true, force: true });
  }
  return { ours, theirs };
}

async function pushed(
  regHost: string,
  tmp: string,
  shape: ImageShape,
): Promise<{ remote: string; mb: number }> {
  const src = new ImageStore({ root: path.join(tmp, `src-${shape}`), insecureRegistries: [regHost] });
  const bytes = await generateImage(src, `bench.local/${shape}:1`, shape);
  const remote = `${regHost}/bench/${shape}:1`;
  await src.push(`bench.local/${shape}:1`, { as: remote });
  fs.rmSync(src.root, { recursive: true, force: true });
  return { remote, mb: bytes / 1e6 };
}

const row = (label: string, xs: number[]): string =>
  `${label.padEnd(34)}${median(xs).toFixed(3).padStart(8)}   ${xs.map((x) => x.toFixed(2)).join(' ')}`;

async function main(): Promise<void> {
  for (const bin of ['skopeo', 'umoci', 'docker-registry'])
    try {
      execFileSync('which', [bin], { stdio: 'ignore' });
    } catch {
      throw new Error(`${bin} is missing: npm run setup installs it (Debian package)`);
    }
  const reg = await startRegistry();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsstack-bench-image-'));
  try {
    const multi = await pushed(reg.host, tmp, 'layers');
    const single = await pushed(reg.host, tmp, 'single');
    const m = await measure(reg.host, multi.remote, BIG_LAYERS + 1, tmp);
    const s = await measure(reg.host, single.remote, 1, tmp);
    const r3 = (x: number): number => Number(x.toFixed(3));
    console.log(
      `images: ${BIG_LAYERS + 1} layers / 1 layer, ${multi.mb.toFixed(1)} MB compressed, ${ROUNDS} rounds`,
    );
    console.log('case                              median s   rounds');
    console.log(row(`tsstack, ${BIG_LAYERS + 1} layers`, m.ours));
    console.log(row(`skopeo + umoci, ${BIG_LAYERS + 1} layers`, m.theirs));
    console.log(row('tsstack, single layer', s.ours));
    console.log(row('skopeo + umoci, single layer', s.theirs));
    console.log(
      JSON.stringify({
        tsstack_s: r3(median(m.ours)),
        peer_s: r3(median(m.theirs)),
        ratio: r3(median(m.ours) / median(m.theirs)),
        single_tsstack_s: r3(median(s.ours)),
        single_peer_s: r3(median(s.theirs)),
        single_ratio: r3(median(s.ours) / median(s.theirs)),
      }),
    );
  } finally {
    await reg.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
