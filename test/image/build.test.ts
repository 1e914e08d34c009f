// `tsstack build` against a temp store holding the busybox fixture: FROM (local image, stage, scratch),
// multi-stage COPY --from with --chown by name, COPY --chmod, .dockerignore, ENV/ARG/LABEL/USER/EXPOSE/
// ENTRYPOINT/CMD/HEALTHCHECK/STOPSIGNAL/WORKDIR in the config, the layers checked through a real overlay
// mount, the layer cache, and RUN: refused clearly without a runtime, and through an injected RunStep
// whose changes (including a deletion) become an OCI layer with a whiteout.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { busyboxImage, BusyboxImage, requireRoot } from '@tsstack/testkit';
import { buildImage, ImageStore, RootfsDirs, RunStep } from '@tsstack/image';
import { startRegistry } from './registry-harness';

let bb: BusyboxImage;
let tmp: string;
let store: ImageStore;

beforeAll(async () => {
  requireRoot();
  bb = await busyboxImage();
});
beforeEach(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsstack-image-build-'));
  store = new ImageStore({ root: path.join(tmp, 'store') });
  await store.importOciLayout(bb.ociLayout, bb.reference);
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

function context(files: Record<string, string>): string {
  const dir = path.join(tmp, 'ctx');
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

/** Runs `script` in a private mount namespace with the rootfs mounted as an overlay at $M. */
function inOverlay(dirs: RootfsDirs, script: string): string {
  const m = fs.mkdtempSync(path.join(tmp, 'mnt-'));
  const opts = `lowerdir=${dirs.lowerDirs.join(':')},upperdir=${dirs.upperDir},workdir=${dirs.workDir}`;
  return execFileSync(
    'unshare',
    ['-m', '--propagation', 'private', 'sh', '-ec', `mount -t overlay overlay -o ${opts} "$M"; ${script}`],
    {
      encoding: 'utf8',
      env: { ...process.env, M: m },
    },
  );
}

const DOCKERFILE = `# syntax is docker's
ARG BASE=${'tsstack.test/busybox:latest'}
FROM \${BASE} AS builder
WORKDIR /src
COPY app.txt ./
COPY dir/ /src/dir/
ENV GREETING="hello world" \\
    MODE=prod
ARG VERSION=1
LABEL org.example.version=$VERSION org.example.mode=\${MODE}

FROM tsstack.test/busybox:latest
COPY --from=builder --chown=app:extra /src /app
COPY --chmod=755 run.sh /usr/local/bin/
ENV PATH=/usr/local/bin:/bin
USER app
EXPOSE 8080 53/udp
ENTRYPOINT ["/usr/local/bin/run.sh"]
CMD ["serve"]
HEALTHCHECK --interval=5s --retries=2 CMD wget -q localhost:8080
STOPSIGNAL SIGTERM
`;

test('multi-stage build: config and layers as docker build makes them; cache reused', async () => {
  const ctx = context({
    Dockerfile: DOCKERFILE,
    'app.txt': 'app',
    'dir/file': 'f',
    'dir/secret': 's',
    'dir/debug.log': 'l',
    'run.sh': '#!/bin/sh\necho run\n',
    '.dockerignore': '# comments\ndir/secret\n**/*.log\n',
  });
  const steps: string[] = [];
  const r = await buildImage(store, { context: ctx, tags: ['local/app:1'], onStep: (l) => steps.push(l) });
  expect(r.references).toEqual(['docker.io/local/app:1']);
  expect(r.config).toMatchObject({
    Entrypoint: ['/usr/local/bin/run.sh'],
    Cmd: ['serve'],
    User: 'app',
    ExposedPorts: { '8080/tcp': {}, '53/udp': {} },
    Healthcheck: { Test: ['CMD-SHELL', 'wget -q localhost:8080'], Interval: 5e9, Retries: 2 },
    StopSignal: 'SIGTERM',
  });
  expect(r.config.Env).toContain('PATH=/usr/local/bin:/bin');
  expect(r.config.Labels).toBeUndefined(); // labels of the builder stage stay there
  expect(r.layers).toHaveLength(3);
  expect(r.layers[0].digest).toBe(bb.layerDigest);
  expect(r.cacheHits).toBe(0);

  const img = await store.get('local/app:1');
  expect(img?.digest).toBe(r.digest);
  const dirs = await store.prepareRootfs('local/app:1', 'b1');
  const seen = inOverlay(
    dirs,
    'cd "$M"; stat -c "%n %u:%g %a" app app/app.txt app/dir/file usr/local/bin/run.sh; ls app/dir; cat app/app.txt; test -x bin/busybox',
  );
  expect(seen.trim().split('\n')).toEqual([
    'app 1000:2000 755',
    'app/app.txt 1000:2000 644',
    'app/dir/file 1000:2000 644',
    'usr/local/bin/run.sh 0:0 755',
    'file',
    'app',
  ]);
  await store.releaseRootfs('b1');

  // Same inputs: every layer step from the cache, same layers.
  const again = await buildImage(store, { context: ctx, tags: ['local/app:2'] });
  expect(again.cacheHits).toBe(again.layerSteps);
  expect(again.layers).toEqual(r.layers);
  // A changed input file: its step and the ones after miss.
  fs.writeFileSync(path.join(ctx, 'run.sh'), '#!/bin/sh\necho changed\n');
  const changed = await buildImage(store, { context: ctx });
  expect(changed.layers[1]).toEqual(r.layers[1]);
  expect(changed.layers[2]).not.toEqual(r.layers[2]);

  // --target stops at the builder stage; build args override ARG defaults.
  const builder = await buildImage(store, { context: ctx, target: 'builder', buildArgs: { VERSION: '7' } });
  expect(builder.config).toMatchObject({
    WorkingDir: '/src',
    Labels: { 'org.example.version': '7', 'org.example.mode': 'prod' },
  });
  expect(builder.config.Env).toEqual(expect.arrayContaining(['GREETING=hello world', 'MODE=prod']));
  expect(builder.layers).toHaveLength(4); // busybox + WORKDIR /src (created) + 2 COPY
});

test('FROM scratch with COPY, CMD and labels from the build options', async () => {
  const ctx = context({
    'build/Containerfile': 'FROM scratch\nCOPY hello /\nCMD ["/hello"]\n',
    hello: 'hi',
  });
  const r = await buildImage(store, {
    context: ctx,
    dockerfile: 'build/Containerfile',
    labels: { 'com.example.team': 'x' },
    tags: ['local/scratch:1'],
  });
  expect(r.layers).toHaveLength(1);
  expect(r.config).toEqual({ Cmd: ['/hello'], Labels: { 'com.example.team': 'x' } });
  const lowers = await store.unpack(r.digest);
  expect(fs.readdirSync(lowers[0])).toEqual(['hello']);
});

test('RUN without a runtime fails clearly; with a RunStep its changes become a layer', async () => {
  const ctx = context({
    Dockerfile: 'FROM tsstack.test/busybox:latest\nRUN rm /etc/group && echo x > /etc/new\n',
  });
  await expect(buildImage(store, { context: ctx })).rejects.toMatchObject({
    code: 'IMAGE_BUILD_NO_RUNTIME',
    message: expect.stringMatching(/Dockerfile:2: RUN needs the native runtime/),
  });

  const calls: Array<Parameters<RunStep>[1]> = [];
  // A stand-in for the container: applies what the command would do through a real overlay mount.
  const fake: RunStep = async (rootfs, proc) => {
    calls.push(proc);
    inOverlay(rootfs, 'rm "$M/etc/group"; echo x > "$M/etc/new"');
    return { exitCode: 0, output: '' };
  };
  const r = await buildImage(store, { context: ctx, run: fake, tags: ['local/run:1'] });
  expect(calls).toEqual([
    expect.objectContaining({
      args: ['/bin/sh', '-c', 'rm /etc/group && echo x > /etc/new'],
      cwd: '/',
      user: 'root',
    }),
  ]);
  expect(r.layers).toHaveLength(2);
  const dirs = await store.prepareRootfs('local/run:1', 'r1');
  expect(inOverlay(dirs, 'ls "$M/etc"').trim().split('\n')).toEqual(['hostname', 'new', 'passwd']);
  await store.releaseRootfs('r1');

  const failing: RunStep = async () => ({ exitCode: 3, output: 'boom\n' });
  const ctx2 = context({ Dockerfile: 'FROM tsstack.test/busybox:latest\nRUN false\n' });
  await expect(buildImage(store, { context: ctx2, run: failing, noCache: true })).rejects.toThrow(
    /Dockerfile:2: RUN \/bin\/sh -c false exited with 3: boom/,
  );
});

test('Dockerfile mistakes point at file and line', async () => {
  const ctx = context({ Dockerfile: 'FROM tsstack.test/busybox:latest\nCOPY missing /x\n' });
  await expect(buildImage(store, { context: ctx })).rejects.toThrow(
    /Dockerfile:2: COPY: source missing not found/,
  );
  const ctx2 = context({ Dockerfile: 'FROM tsstack.test/busybox:latest\nFROBNICATE x\n' });
  await expect(buildImage(store, { context: ctx2 })).rejects.toThrow(
    /Dockerfile:2: unknown instruction FROBNICATE/,
  );
});

test('ADD extracts local archives and downloads URLs; COPY wildcards and WORKDIR-relative dests', async () => {
  const ctx = context({
    Dockerfile: [
      'FROM tsstack.test/busybox:latest',
      'ADD bundle.tar.gz /opt/',
      'ADD http://$HOST/files/remote.txt /downloads/',
      'WORKDIR /srv',
      'COPY conf/*.ini ./conf/',
      '',
    ].join('\n'),
    'conf/a.ini': 'a',
    'conf/b.ini': 'b',
    'conf/c.txt': 'c',
  });
  const payload = path.join(tmp, 'payload');
  fs.mkdirSync(path.join(payload, 'tool'), { recursive: true });
  fs.writeFileSync(path.join(payload, 'tool', 'bin'), 'tool');
  execFileSync('tar', ['-czf', path.join(ctx, 'bundle.tar.gz'), '-C', payload, 'tool']);
  const server = http.createServer((req, res) => {
    if (req.url === '/files/remote.txt') res.end('remote');
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    fs.writeFileSync(
      path.join(ctx, 'Dockerfile'),
      fs.readFileSync(path.join(ctx, 'Dockerfile'), 'utf8').replace('$HOST', host),
    );
    await buildImage(store, { context: ctx, tags: ['local/add:1'] });
  } finally {
    server.close();
  }
  const dirs = await store.prepareRootfs('local/add:1', 'add1');
  const seen = inOverlay(
    dirs,
    'cd "$M"; cat opt/tool/bin; echo; cat downloads/remote.txt; echo; stat -c "%a" downloads/remote.txt; ls srv/conf',
  );
  expect(seen.trim().split('\n')).toEqual(['tool', 'remote', '600', 'a.ini', 'b.ini']);
  await store.releaseRootfs('add1');
});

test('FROM an image of a registry pulls it first', async () => {
  const reg = await startRegistry();
  try {
    const pusher = new ImageStore({ root: store.root, insecureRegistries: [reg.host] });
    await pusher.push(bb.reference, { as: `${reg.host}/base/busybox:1` });
    const fresh = new ImageStore({ root: path.join(tmp, 'fresh'), insecureRegistries: [reg.host] });
    const ctx = context({ Dockerfile: `FROM ${reg.host}/base/busybox:1\nLABEL from=registry\n` });
    const r = await buildImage(fresh, { context: ctx, tags: ['local/from-registry:1'] });
    expect(r.layers.map((l) => l.digest)).toEqual([bb.layerDigest]);
    expect(r.config.Labels).toEqual({ from: 'registry' });
    expect((await fresh.get(`${reg.host}/base/busybox:1`))?.digest).toBe(bb.manifestDigest);
  } finally {
    await reg.stop();
  }
});
