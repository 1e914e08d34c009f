// Bearer token auth against the real docker-registry configured with `auth: token` and a token server of
// the test's own: the client follows WWW-Authenticate to the realm anonymously (public pull) and with
// credentials (push), and refuses clearly when the token grants too little or the password is wrong.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { busyboxImage, BusyboxImage } from '@tsstack/testkit';
import { ImageStore } from '@tsstack/image';
import { Registry, startRegistry } from './registry-harness';
import { startTokenServer, TokenServer } from './token-server';

let bb: BusyboxImage;
let tokens: TokenServer;
let reg: Registry;
let tmp: string;

function store(name: string, creds?: { username: string; password: string }): ImageStore {
  let authFile: string | undefined;
  if (creds) {
    authFile = path.join(tmp, `${name}-auth.json`);
    fs.writeFileSync(authFile, JSON.stringify({ [reg.host]: creds }));
  }
  return new ImageStore({ root: path.join(tmp, name), insecureRegistries: [reg.host], authFile });
}

function grants(scope: string, repo: string, actions: string[]): boolean {
  const [type, name, list = ''] = scope.split(':');
  const granted = new Set(list.split(','));
  return type === 'repository' && name === repo && actions.every((a) => granted.has(a));
}

beforeAll(async () => {
  bb = await busyboxImage();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsstack-image-token-'));
  tokens = await startTokenServer(tmp, 'carol', 'tok3n');
  reg = await startRegistry(undefined, tokens.auth);
});
afterAll(async () => {
  await reg?.stop();
  await tokens?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('credentialed push and anonymous pull go through Bearer tokens from the realm', async () => {
  const src = store('src', { username: 'carol', password: 'tok3n' });
  await src.importOciLayout(bb.ociLayout, bb.reference);
  expect(await src.push(bb.reference, { as: `${reg.host}/pub/busybox:1` })).toBe(bb.manifestDigest);
  await src.push(bb.reference, { as: `${reg.host}/priv/busybox:1` });
  // docker-registry lists a challenge's actions in Go map order: pull,push or push,pull.
  const pushReq = tokens.requests.find((r) =>
    r.scope.some((s) => grants(s, 'pub/busybox', ['pull', 'push'])),
  );
  expect(pushReq).toMatchObject({ user: 'carol', service: 'tsstack-test-registry' });

  tokens.requests.length = 0;
  const anon = store('anon');
  const img = await anon.pull(`${reg.host}/pub/busybox:1`);
  expect(img.digest).toBe(bb.manifestDigest);
  expect(tokens.requests.length).toBeGreaterThan(0);
  expect(tokens.requests.every((r) => r.user === undefined)).toBe(true);
  expect(tokens.requests[0].scope).toEqual(['repository:pub/busybox:pull']);

  const withCreds = store('creds', { username: 'carol', password: 'tok3n' });
  expect((await withCreds.pull(`${reg.host}/priv/busybox:1`)).digest).toBe(bb.manifestDigest);
});

test('too little access or a wrong password is a clear auth error', async () => {
  const anon = store('anon2');
  await expect(anon.pull(`${reg.host}/priv/busybox:1`)).rejects.toMatchObject({
    code: 'IMAGE_REGISTRY_AUTH',
  });
  await anon.importOciLayout(bb.ociLayout, bb.reference);
  await expect(anon.push(bb.reference, { as: `${reg.host}/pub/other:1` })).rejects.toMatchObject({
    code: 'IMAGE_REGISTRY_AUTH',
  });
  const wrong = store('wrong', { username: 'carol', password: 'nope' });
  await expect(wrong.pull(`${reg.host}/pub/busybox:1`)).rejects.toThrow(/refused authentication.*401/);
  expect(await wrong.list()).toEqual([]);
});
