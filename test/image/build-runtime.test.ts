// A Dockerfile build whose RUN steps are real containers of tsstack's native core (libs/runtime through
// the CLI's RunStep adapter), and whose resulting image then runs with the native core too. Own state
// root and cgroup parent; every container, cgroup and dir is removed afterwards.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { busyboxImage, BusyboxImage, requireRoot } from '@tsstack/testkit';
import { buildImage, ImageStore, resolveCommand } from '@tsstack/image';
import { ContainerRuntime, seccompCacheDir } from '@tsstack/runtime';
import { runtimeRunStep } from '../../apps/cli/src/commands/image/runtime-run-step';

let bb: BusyboxImage;
let tmp: string;
let stateRoot: string;
let runtime: ContainerRuntime;
const cgroupParent = `/tsstack-image-build-${process.pid}`;

beforeAll(async () => {
  requireRoot();
  bb = await busyboxImage();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsstack-image-buildrt-'));
  stateRoot = fs.mkdtempSync('/run/tsib-');
  runtime = new ContainerRuntime({ stateRoot, cgroupParent });
});
afterAll(async () => {
  for (const c of (await runtime?.list()) ?? [])
    await runtime.remove(c.id, { force: true }).catch(() => undefined);
  for (const ctl of fs.existsSync('/sys/fs/cgroup') ? fs.readdirSync('/sys/fs/cgroup') : []) {
    const d = `/sys/fs/cgroup/${ctl}${cgroupParent}`;
    if (fs.existsSync(d)) fs.rmdirSync(d);
  }
  if (stateRoot) fs.rmSync(stateRoot, { recursive: true, force: true });
  if (stateRoot) fs.rmSync(seccompCacheDir(stateRoot), { recursive: true, force: true });
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('RUN steps run in native containers; the built image runs with the native core', async () => {
  const store = new ImageStore({ root: path.join(tmp, 'store') });
  await store.importOciLayout(bb.ociLayout, bb.reference);
  const ctx = path.join(tmp, 'ctx');
  fs.mkdirSync(ctx);
  fs.writeFileSync(
    path.join(ctx, 'Dockerfile'),
    [
      'FROM tsstack.test/busybox:latest',
      'ENV WHO=tsstack',
      'WORKDIR /work',
      'RUN echo "built by $WHO in $(pwd) as $(id -u)" > built.txt && rm /etc/hostname && mkdir -p /home/app && chown app /home/app',
      'USER app',
      'RUN id -u > /home/app/uid',
      'CMD ["sh", "-c", "cat /work/built.txt /home/app/uid; test -e /etc/hostname || echo no-hostname"]',
      '',
    ].join('\n'),
  );
  const run = runtimeRunStep(runtime);
  const r = await buildImage(store, { context: ctx, run, tags: ['local/built:1'] });
  expect(r.layers).toHaveLength(4); // busybox, WORKDIR, 2 x RUN
  const again = await buildImage(store, { context: ctx, run, tags: ['local/built:1'] });
  expect(again.cacheHits).toBe(3);

  const failing = path.join(tmp, 'ctx-fail');
  fs.mkdirSync(failing);
  fs.writeFileSync(
    path.join(failing, 'Dockerfile'),
    'FROM tsstack.test/busybox:latest\nRUN echo oops >&2; exit 4\n',
  );
  await expect(buildImage(store, { context: failing, run })).rejects.toThrow(
    /Dockerfile:2: RUN .* exited with 4: oops/,
  );

  const rootfs = await store.prepareRootfs('local/built:1', 'runbuilt');
  const { argv } = resolveCommand(r.config, {});
  await runtime.run({
    id: 'runbuilt',
    rootfs,
    process: { args: argv, user: r.config.User, cwd: r.config.WorkingDir },
  });
  const exit = await runtime.wait('runbuilt');
  const lines: string[] = [];
  for await (const e of runtime.logs('runbuilt')) lines.push(e.line);
  await runtime.remove('runbuilt');
  await store.releaseRootfs('runbuilt');
  expect(exit.exitCode).toBe(0);
  expect(lines).toEqual(['built by tsstack in /work as 0', '1000', 'no-hostname']);
  expect(await runtime.list()).toEqual([]);
});
