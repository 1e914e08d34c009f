// bench:image — pull + unpack of the busybox fixture from a loopback docker-registry: tsstack's ImageStore
// versus `skopeo copy` + `umoci unpack` (the Debian tools as a baseline). Cold store each round.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ImageStore } from '@tsstack/image';
import { busyboxImage } from '@tsstack/testkit';
import { startRegistry } from '../test/image/registry-harness';

const ROUNDS = Number(process.env.ROUNDS ?? 5);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

async function main(): Promise<void> {
  const bb = await busyboxImage();
  const reg = await startRegistry();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsstack-bench-image-'));
  try {
    const src = new ImageStore({ root: path.join(tmp, 'src'), insecureRegistries: [reg.host] });
    await src.importOciLayout(bb.ociLayout, bb.reference);
    await src.push(bb.reference, { as: `${reg.host}/bench/busybox:1` });
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const root = path.join(tmp, `ours-${i}`);
      let t = process.hrtime.bigint();
      const store = new ImageStore({ root, insecureRegistries: [reg.host] });
      const img = await store.pull(`${reg.host}/bench/busybox:1`);
      await store.unpack(img.digest);
      ours.push(Number(process.hrtime.bigint() - t) / 1e6);
      fs.rmSync(root, { recursive: true, force: true });

      const layout = path.join(tmp, `skopeo-${i}`);
      t = process.hrtime.bigint();
      execFileSync('skopeo', [
        'copy',
        '-q',
        '--src-tls-verify=false',
        `docker://${reg.host}/bench/busybox:1`,
        `oci:${layout}:t`,
      ]);
      execFileSync('umoci', ['unpack', '--image', `${layout}:t`, path.join(tmp, `bundle-${i}`)], {
        stdio: 'ignore',
      });
      theirs.push(Number(process.hrtime.bigint() - t) / 1e6);
      fs.rmSync(layout, { recursive: true, force: true });
      fs.rmSync(path.join(tmp, `bundle-${i}`), { recursive: true, force: true });
    }
    const result = {
      bench: 'image',
      rounds: ROUNDS,
      imageBytes: fs.statSync(bb.layerPath).size,
      tsstackPullUnpackMsMedian: Math.round(median(ours)),
      skopeoUmociMsMedian: Math.round(median(theirs)),
    };
    console.log('case                         median ms');
    console.log(`tsstack pull + unpack        ${result.tsstackPullUnpackMsMedian}`);
    console.log(`skopeo copy + umoci unpack   ${result.skopeoUmociMsMedian}`);
    console.log(JSON.stringify(result));
  } finally {
    await reg.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
