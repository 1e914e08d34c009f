// bench:image — pull + unpack of a generated multi-layer image (>= 50 MB: one layer of many small files,
// five layers of large incompressible files) from a loopback docker-registry: tsstack's ImageStore (pull,
// then per-layer snapshots) versus `skopeo copy` + `umoci unpack` (Debian's tools as the peer) on the same
// image in the same run. Cold store each round, rounds alternate. Last line: {"tsstack_s","peer_s","ratio"}.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ImageStore } from '@tsstack/image';
import { startRegistry } from '../test/image/registry-harness';
import { BIG_LAYERS, generateImage } from './image-fixture';

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
    const src = new ImageStore({ root: path.join(tmp, 'src'), insecureRegistries: [reg.host] });
    const imageBytes = await generateImage(src, 'bench.local/big:1');
    const remote = `${reg.host}/bench/big:1`;
    await src.push('bench.local/big:1', { as: remote });
    fs.rmSync(src.root, { recursive: true, force: true });
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const root = path.join(tmp, `ours-${i}`);
      let t = process.hrtime.bigint();
      const store = new ImageStore({ root, insecureRegistries: [reg.host] });
      const img = await store.pull(remote, { unpack: true });
      const lowers = await store.unpack(img.digest);
      ours.push(Number(process.hrtime.bigint() - t) / 1e9);
      if (lowers.length !== BIG_LAYERS + 1) throw new Error(`expected ${BIG_LAYERS + 1} snapshots`);
      const ourFiles = lowers.reduce((n, d) => n + fileCount(d), 0);
      fs.rmSync(root, { recursive: true, force: true });

      const layout = path.join(tmp, `skopeo-${i}`);
      const bundle = path.join(tmp, `bundle-${i}`);
      t = process.hrtime.bigint();
      execFileSync('skopeo', [
        'copy',
        '-q',
        '--src-tls-verify=false',
        `docker://${remote}`,
        `oci:${layout}:t`,
      ]);
      execFileSync('umoci', ['unpack', '--image', `${layout}:t`, bundle], { stdio: 'ignore' });
      theirs.push(Number(process.hrtime.bigint() - t) / 1e9);
      // Same content on both sides (the generated image has no whiteouts: file counts add up).
      const peerFiles = fileCount(path.join(bundle, 'rootfs'));
      if (peerFiles !== ourFiles) throw new Error(`tsstack unpacked ${ourFiles} files, umoci ${peerFiles}`);
      fs.rmSync(layout, { recursive: true, force: true });
      fs.rmSync(bundle, { recursive: true, force: true });
    }
    const tsstack_s = Number(median(ours).toFixed(3));
    const peer_s = Number(median(theirs).toFixed(3));
    console.log(
      `image: ${BIG_LAYERS + 1} layers, ${(imageBytes / 1e6).toFixed(1)} MB compressed, ${ROUNDS} rounds`,
    );
    console.log('case                          median s   rounds');
    console.log(
      `tsstack pull + unpack         ${tsstack_s.toFixed(3).padStart(8)}   ${ours.map((x) => x.toFixed(2)).join(' ')}`,
    );
    console.log(
      `skopeo copy + umoci unpack    ${peer_s.toFixed(3).padStart(8)}   ${theirs.map((x) => x.toFixed(2)).join(' ')}`,
    );
    console.log(JSON.stringify({ tsstack_s, peer_s, ratio: Number((tsstack_s / peer_s).toFixed(3)) }));
  } finally {
    await reg.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
