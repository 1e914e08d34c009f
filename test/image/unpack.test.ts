// Layer unpack against the real filesystem: whiteouts, opaque dirs, hardlinks, symlinks, escapes refused,
// gzip and zstd layers.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { applyLayer } from '@tsstack/image';

interface E {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  content?: string;
  linkname?: string;
  mode?: number;
}

async function makeTar(entries: E[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  for (const e of entries) {
    const type = e.type ?? 'file';
    const mode = e.mode ?? (type === 'directory' ? 0o755 : 0o644);
    if (type === 'file') pack.entry({ name: e.name, type, mode }, e.content ?? '');
    else pack.entry({ name: e.name, type, mode, linkname: e.linkname });
  }
  pack.finalize();
  for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsstack-unpack-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function apply(
  root: string,
  entries: E[],
  compress: 'gzip' | 'none' | 'zstd' = 'gzip',
): Promise<unknown> {
  let buf = await makeTar(entries);
  if (compress === 'gzip') buf = gzipSync(buf);
  const f = path.join(dir, `layer-${Math.random()}.tar`);
  fs.writeFileSync(f, buf);
  if (compress === 'zstd') {
    execFileSync('zstd', ['-q', '-f', f, '-o', f + '.zst']);
    return applyLayer(root, f + '.zst');
  }
  return applyLayer(root, f);
}

test('files, dirs, symlinks, hardlinks and modes', async () => {
  const root = path.join(dir, 'root');
  await apply(root, [
    { name: 'etc', type: 'directory' },
    { name: 'etc/conf', content: 'hello', mode: 0o600 },
    { name: 'etc/link', type: 'symlink', linkname: 'conf' },
    { name: 'etc/hard', type: 'link', linkname: 'etc/conf' },
    { name: 'bin/tool', content: '#!x', mode: 0o4755 },
  ]);
  expect(fs.readFileSync(path.join(root, 'etc/conf'), 'utf8')).toBe('hello');
  expect(fs.statSync(path.join(root, 'etc/conf')).mode & 0o7777).toBe(0o600);
  expect(fs.statSync(path.join(root, 'bin/tool')).mode & 0o7777).toBe(0o4755);
  expect(fs.readlinkSync(path.join(root, 'etc/link'))).toBe('conf');
  expect(fs.statSync(path.join(root, 'etc/hard')).ino).toBe(fs.statSync(path.join(root, 'etc/conf')).ino);
});

test('whiteouts delete lower content and opaque dirs empty it, keeping same-layer entries', async () => {
  const root = path.join(dir, 'root');
  await apply(root, [
    { name: 'a', type: 'directory' },
    { name: 'a/keep', content: '1' },
    { name: 'a/gone', content: '1' },
    { name: 'o', type: 'directory' },
    { name: 'o/old1', content: '1' },
    { name: 'o/old2', content: '1' },
  ]);
  await apply(root, [
    { name: 'a/.wh.gone' },
    { name: 'o', type: 'directory' },
    { name: 'o/new', content: '2' },
    { name: 'o/.wh..wh..opq' },
  ]);
  expect(fs.existsSync(path.join(root, 'a/keep'))).toBe(true);
  expect(fs.existsSync(path.join(root, 'a/gone'))).toBe(false);
  expect(fs.readdirSync(path.join(root, 'o'))).toEqual(['new']);
  expect(fs.existsSync(path.join(root, 'a/.wh.gone'))).toBe(false);
});

test('zstd and uncompressed layers', async () => {
  const root = path.join(dir, 'root');
  await apply(root, [{ name: 'z', content: 'zstd' }], 'zstd');
  await apply(root, [{ name: 'p', content: 'plain' }], 'none');
  expect(fs.readFileSync(path.join(root, 'z'), 'utf8')).toBe('zstd');
  expect(fs.readFileSync(path.join(root, 'p'), 'utf8')).toBe('plain');
});

describe('escape attempts are refused and write nothing outside', () => {
  const outside = (): string => path.join(dir, 'outside');
  test('../ in a name', async () => {
    await expect(apply(path.join(dir, 'root'), [{ name: '../outside', content: 'x' }])).rejects.toThrow(
      /refused/,
    );
    expect(fs.existsSync(outside())).toBe(false);
  });
  test('write through an absolute symlink stays inside the root', async () => {
    const root = path.join(dir, 'root');
    await apply(root, [
      { name: dir.slice(1), type: 'directory' },
      { name: 'esc', type: 'symlink', linkname: dir },
    ]);
    await apply(root, [{ name: 'esc/outside', content: 'x' }]);
    expect(fs.existsSync(outside())).toBe(false);
    expect(fs.readFileSync(path.join(root, dir, 'outside'), 'utf8')).toBe('x');
  });
  test('write through an absolute symlink whose target is not in the root is refused', async () => {
    const root = path.join(dir, 'root');
    await apply(root, [{ name: 'esc', type: 'symlink', linkname: dir }]);
    await expect(apply(root, [{ name: 'esc/outside', content: 'x' }])).rejects.toThrow(
      /member "esc\/outside" refused \(parent\)/,
    );
    expect(fs.existsSync(outside())).toBe(false);
  });
  test('write through a relative ../ symlink stays inside the root', async () => {
    const root = path.join(dir, 'root');
    await apply(root, [{ name: 'up', type: 'symlink', linkname: '../../..' }]);
    await apply(root, [{ name: 'up/outside', content: 'x' }]);
    expect(fs.existsSync(outside())).toBe(false);
    expect(fs.readFileSync(path.join(root, 'outside'), 'utf8')).toBe('x');
  });
  test('hardlink to a file outside is refused', async () => {
    fs.writeFileSync(path.join(dir, 'secret'), 's');
    await expect(
      apply(path.join(dir, 'root'), [{ name: 'h', type: 'link', linkname: '../secret' }]),
    ).rejects.toThrow(/refused/);
  });
});
