// The refs lock across real processes: two node processes tag 150 references each into one store at the
// same time; every one of the 300 references must survive (without the lock, read-modify-write of
// refs.json loses some). A stale lock left by a dead process is taken over.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ImageStore } from '@tsstack/image';
import { storeImage } from './layer-builder';

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsstack-image-lock-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

function child(root: string, digest: string, prefix: string, count: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      process.execPath,
      [
        path.join(__dirname, 'child/run-ts.js'),
        path.join(__dirname, 'child/tag-many.ts'),
        root,
        digest,
        prefix,
        String(count),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`child ${prefix} exited ${code}: ${out}`)),
    );
  });
}

test('two processes tagging at once never lose a reference', async () => {
  const root = path.join(tmp, 'store');
  const store = new ImageStore({ root });
  const digest = await storeImage(store, 'local/base:1', [[{ name: 'f', content: 'x' }]]);
  const outs = await Promise.all([
    child(root, digest, 'local/p1', 150),
    child(root, digest, 'local/p2', 150),
  ]);
  expect(outs.map((o) => o.trim())).toEqual(['done', 'done']);
  const refs = (await store.list()).map((i) => i.reference);
  expect(refs).toHaveLength(301);
  for (const p of ['p1', 'p2'])
    for (let i = 0; i < 150; i++) expect(refs).toContain(`docker.io/local/${p}-${i}:1`);
  expect(fs.existsSync(path.join(root, 'refs.json.lock'))).toBe(false);
});

test('a lock left by a dead process is taken over', async () => {
  const root = path.join(tmp, 'store');
  const store = new ImageStore({ root });
  const digest = await storeImage(store, 'local/base:1', [[{ name: 'f', content: 'x' }]]);
  const dead = spawn('true');
  await new Promise((r) => dead.on('close', r));
  fs.writeFileSync(path.join(root, 'refs.json.lock'), String(dead.pid));
  await store.tag('local/after:1', digest);
  expect((await store.get('local/after:1'))?.digest).toBe(digest);
});
