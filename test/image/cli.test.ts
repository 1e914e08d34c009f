// The `tsstack image` and `tsstack login` commands, run through the real commander program against a
// temporary store and a real docker-registry with Basic auth.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { busyboxImage, BusyboxImage } from '@tsstack/testkit';
import { buildProgram } from '../../apps/cli/src/program';
import { Registry, startRegistry } from './registry-harness';

let bb: BusyboxImage;
let reg: Registry;
let tmp: string;

async function run(...args: string[]): Promise<string> {
  const out: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await buildProgram().parseAsync(['node', 'tsstack', ...args]);
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
  return out.join('\n');
}

beforeAll(async () => {
  bb = await busyboxImage();
  reg = await startRegistry({ user: 'bob', password: 'pw' });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsstack-image-cli-'));
});
afterAll(async () => {
  await reg?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('import, ls, inspect, login, push, pull, export, rm, prune', async () => {
  const common = [
    '--root',
    path.join(tmp, 'store'),
    '--insecure-registry',
    reg.host,
    '--auth-file',
    path.join(tmp, 'auth.json'),
  ];
  expect(await run('image', 'import', bb.ociLayout, 'cli/bb:1', ...common)).toContain(bb.manifestDigest);
  expect(await run('image', 'ls', ...common)).toMatch(/docker\.io\/cli\/bb:1\s+\w{12}\s+[\d.]+[kM]B/);
  expect(JSON.parse(await run('image', 'inspect', 'cli/bb:1', ...common)).digest).toBe(bb.manifestDigest);
  await expect(run('login', reg.host, '-u', 'bob', '-p', 'wrong', ...common)).rejects.toThrow(
    /wrong user name or password/,
  );
  expect(fs.existsSync(path.join(tmp, 'auth.json'))).toBe(false);
  expect(await run('login', reg.host, '-u', 'bob', '-p', 'pw', ...common)).toContain('login succeeded');
  expect(fs.statSync(path.join(tmp, 'auth.json')).mode & 0o777).toBe(0o600);
  await run('image', 'push', 'cli/bb:1', `${reg.host}/cli/bb:1`, ...common);
  const other = [
    '--root',
    path.join(tmp, 'other'),
    '--insecure-registry',
    reg.host,
    '--auth-file',
    path.join(tmp, 'auth.json'),
  ];
  expect(await run('image', 'pull', `${reg.host}/cli/bb:1`, ...other)).toContain(bb.manifestDigest);
  await run('image', 'export', `${reg.host}/cli/bb:1`, path.join(tmp, 'exported'), ...other);
  expect(fs.existsSync(path.join(tmp, 'exported', 'index.json'))).toBe(true);
  await run('image', 'rm', `${reg.host}/cli/bb:1`, ...other);
  expect(await run('image', 'prune', ...other)).toMatch(/removed 3 blobs/);
});

test('build: -t, -f, --build-arg, --label, --target, then ls shows the image', async () => {
  const root = ['--root', path.join(tmp, 'build-store')];
  await run('image', 'import', bb.ociLayout, bb.reference, ...root);
  const ctx = path.join(tmp, 'ctx');
  fs.mkdirSync(path.join(ctx, 'docker'), { recursive: true });
  fs.writeFileSync(path.join(ctx, 'msg'), 'hello');
  fs.writeFileSync(
    path.join(ctx, 'docker', 'app.Dockerfile'),
    `FROM ${bb.reference} AS base\nARG WHO=nobody\nCOPY msg /msg\nENV WHO=$WHO\nFROM base AS final\nCMD ["cat", "/msg"]\n`,
  );
  const out = await run(
    'build',
    ctx,
    '-t',
    'cli/built:1',
    '-f',
    'docker/app.Dockerfile',
    '--build-arg',
    'WHO=cli',
    '--label',
    'team=x',
    '--target',
    'final',
    ...root,
  );
  expect(out).toMatch(/^docker\.io\/cli\/built:1 sha256:[a-f0-9]{64}$/);
  const img = JSON.parse(await run('image', 'inspect', 'cli/built:1', ...root));
  expect(img.config).toMatchObject({ Cmd: ['cat', '/msg'], Labels: { team: 'x' } });
  expect(img.config.Env).toContain('WHO=cli');
  expect(await run('image', 'ls', ...root)).toContain('docker.io/cli/built:1');
});
