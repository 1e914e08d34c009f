// stats, top, images, stop/start, pull/push driven through the real `tsstack` binary against the real embedded
// control plane (controller, owned redis, node agent as daemons) with a small busybox stack, and pull/push
// against Debian's docker-registry on loopback. Everything is torn down in afterAll: down, system stop and
// the agent's cleanup, the registry and the temporary data dir.
import type { SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ImageStore } from '@tsstack/image';
import { BUSYBOX_REFERENCE, requireRoot, startEmbeddedCli, type EmbeddedCli } from '@tsstack/testkit';
import { startRegistry, type Registry } from '../image/registry-harness';
import type { ServiceSummary, StackSpec } from '@tsstack/model';
import { statsRows } from '../../apps/cli/src/commands/stats.command';
import { planStop } from '../../apps/cli/src/commands/stop-start.command';
import { stackImages } from '../../apps/cli/src/commands/pull-push.command';

const STACK = `name: cmds
services:
  sleeper:
    image: ${BUSYBOX_REFERENCE}
    command: ['sleep', '3600']
    init: true
    deploy:
      replicas: 2
  other:
    image: ${BUSYBOX_REFERENCE}
    command: ['sleep', '3600']
`;

describe('cli commands against the embedded control plane: stats, top, images, stop/start, pull/push', () => {
  let dataDir = '';
  let imageRoot = '';
  let plane: EmbeddedCli | undefined;
  let registry: Registry | undefined;

  const cli = (
    args: string[],
    extraEnv: NodeJS.ProcessEnv = {},
    timeoutMs = 120_000,
  ): SpawnSyncReturns<string> => plane!.cli(args, { env: extraEnv, timeoutMs });
  // ps names a task's service stack_service.
  const running = (service: string): number =>
    (
      JSON.parse(cli(['ps', '-p', 'cmds', '--format', 'json']).stdout) as Array<{
        service: string;
        state: string;
      }>
    ).filter((t) => t.service === `cmds_${service}` && t.state === 'running').length;
  const waitRunning = async (service: string, n: number): Promise<void> => {
    const until = Date.now() + 60_000;
    while (running(service) !== n) {
      if (Date.now() > until) throw new Error(`${service} did not reach ${n} running tasks in 60 s`);
      await new Promise((r) => setTimeout(r, 500));
    }
  };

  beforeAll(async () => {
    requireRoot();
    plane = await startEmbeddedCli('cmds');
    ({ dataDir, imageRoot } = plane);
    fs.writeFileSync(path.join(dataDir, 'stack.yml'), STACK);
    const up = cli(['up', '--wait', '-f', path.join(dataDir, 'stack.yml'), '--timeout', '90']);
    expect(up.stderr).toBe('');
    expect(up.status).toBe(0);
  });

  afterAll(async () => {
    await registry?.stop();
    plane?.teardown(['cmds']);
  });

  test('stats --no-stream: one row per running task with cpu %, memory and pids; json too', () => {
    const table = cli(['stats', '-p', 'cmds', '--no-stream', '--interval', '300']);
    expect(table.stderr).toBe('');
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/^NAME\s+TASK\s+CPU %\s+MEM USAGE \/ LIMIT\s+PIDS/);
    expect(table.stdout.match(/^sleeper\.\d/gm)).toHaveLength(2);
    expect(table.stdout.match(/^other\.\d/gm)).toHaveLength(1);
    const json = cli([
      'stats',
      '-p',
      'cmds',
      'sleeper',
      '--no-stream',
      '--format',
      'json',
      '--interval',
      '300',
    ]);
    expect(json.status).toBe(0);
    const rows = JSON.parse(json.stdout) as Array<Record<string, number | string | undefined>>;
    expect(rows).toHaveLength(2);
    for (const r of rows) {
      expect(r.error).toBeUndefined();
      expect(r.service).toBe('sleeper');
      expect(typeof r.cpuPercent).toBe('number');
      expect(r.memoryUsageBytes as number).toBeGreaterThan(0);
      expect(r.pids as number).toBeGreaterThanOrEqual(1);
    }
    expect(cli(['stats', '-p', 'cmds', '--no-stream', '--format', 'xml']).status).toBe(2);
  });

  test('top shows the sleep process of each task (pid, uid, cmd); an unknown service exits 1', () => {
    const top = cli(['top', '-p', 'cmds', 'sleeper']);
    expect(top.stderr).toBe('');
    expect(top.status).toBe(0);
    expect(top.stdout.match(/^sleeper\.\d /gm)).toHaveLength(2);
    expect(top.stdout).toMatch(/^PID\s+PPID\s+UID\s+CMD/m);
    // Each task: its sleep and, as PID 1 (init: true), the init running it (shown as docker-init is).
    expect(top.stdout.match(/^\d+\s+\d+\s+0\s+sleep 3600$/gm)).toHaveLength(2);
    expect(top.stdout.match(/^\d+\s+\d+\s+0\s+tsstack-init -- sleep 3600$/gm)).toHaveLength(2);
    const missing = cli(['top', '-p', 'cmds', 'nope']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/nope/);
  });

  test('images lists each service image from the local store with its size', () => {
    const out = cli(['images', '-p', 'cmds', '--format', 'json']);
    expect(out.stderr).toBe('');
    const rows = JSON.parse(out.stdout) as Array<{
      service: string;
      image: string;
      digest?: string;
      size?: number;
    }>;
    expect(rows.map((r) => r.service)).toEqual(['other', 'sleeper']);
    for (const r of rows) {
      expect(r.digest).toMatch(/^sha256:/);
      expect(r.size).toBeGreaterThan(0);
    }
    expect(cli(['images', '-p', 'cmds']).stdout).toMatch(/^sleeper\s+\S*busybox:latest\s+[0-9a-f]{12}\s+\d/m);
  });

  test('stop scales to 0 and remembers the replica counts; start restores them', async () => {
    const file = path.join(dataDir, 'cli', 'stopped', 'cmds.json');
    const stop = cli(['stop', '-p', 'cmds', 'sleeper']);
    expect(stop.stderr).toBe('');
    expect(stop.stdout).toMatch(/stopped sleeper \(was 2 replicas\)/);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ sleeper: 2 });
    await waitRunning('sleeper', 0);
    expect(running('other')).toBe(1);
    expect(cli(['stop', '-p', 'cmds', 'sleeper']).stdout).toMatch(/already stopped/);
    const start = cli(['start', '-p', 'cmds']);
    expect(start.stderr).toBe('');
    expect(start.stdout).toMatch(/started sleeper \(2 replicas\)/);
    expect(fs.existsSync(file)).toBe(false);
    await waitRunning('sleeper', 2);
    expect(cli(['stop', '-p', 'cmds', 'ghost']).status).toBe(1);
  });

  test('push sends the stack images to their registry and pull brings them into an empty store', async () => {
    registry = await startRegistry();
    const ref = `${registry.host}/test/busybox:1`;
    const file = path.join(dataDir, 'push.yml');
    fs.writeFileSync(file, `name: pushed\nservices:\n  a:\n    image: ${ref}\n  b:\n    image: ${ref}\n`);
    const store = new ImageStore({ root: imageRoot });
    await store.tag(ref, (await store.get(BUSYBOX_REFERENCE))!.digest);
    const regEnv = { TSSTACK_INSECURE_REGISTRIES: registry.host };
    const push = cli(['push', '-f', file], regEnv);
    expect(push.stderr).toBe('');
    expect(push.status).toBe(0);
    expect(push.stdout).toMatch(new RegExp(`^pushed ${ref} sha256:[0-9a-f]{64} \\(a, b\\)$`, 'm'));
    const emptyRoot = path.join(dataDir, 'images-pulled');
    const pull = cli(['pull', '-f', file], { ...regEnv, TSSTACK_IMAGE_ROOT: emptyRoot });
    expect(pull.stderr).toBe('');
    expect(pull.status).toBe(0);
    expect(pull.stdout).toMatch(/^pulled .*test\/busybox:1 sha256:/m);
    const got = await new ImageStore({ root: emptyRoot }).get(ref);
    expect(got?.digest).toBe((await store.get(BUSYBOX_REFERENCE))!.digest);
    const bad = cli(['pull', '-f', file], { TSSTACK_IMAGE_ROOT: emptyRoot }); // no insecure flag: https fails
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/pull .* failed/);
  });
});

describe('cli commands: the pure parts', () => {
  test('statsRows: cpu % from two readings (100 % = one core), errors and first-seen tasks', () => {
    const r = (cpu: number, at: number) => ({ cpuUsageNs: cpu, memoryUsageBytes: 10, pids: 1, readAt: at });
    const rows = statsRows(
      'web',
      [{ task: 'a', node: 'n', slot: 1, data: r(0, 1000) }],
      [
        { task: 'a', node: 'n', slot: 1, data: r(500_000_000, 2000) },
        { task: 'b', node: 'n', slot: 2, data: r(5, 2000) },
        { task: 'c', node: 'n', error: 'no answer' },
      ],
    );
    expect(rows).toEqual([
      { service: 'web', task: 'a', slot: 1, cpuPercent: 50, memoryUsageBytes: 10, pids: 1 },
      { service: 'web', task: 'b', slot: 2, memoryUsageBytes: 10, pids: 1 },
      { service: 'web', task: 'c', error: 'no answer' },
    ]);
  });

  test('planStop: replicated services stop with their counts; global refused; stopped skipped; unknown named', () => {
    const svc = (service: string, mode: ServiceSummary['mode'], replicas: number) =>
      ({ stack: 's', service, mode, replicas, running: replicas, image: 'i', version: 1 }) as ServiceSummary;
    const all = [
      svc('a', 'replicated', 3),
      svc('b', 'global', 1),
      svc('c', 'replicated', 0),
      svc('d', 'replicated', 2),
    ];
    expect(planStop(all, [], { d: 2 })).toEqual({
      stop: { a: 3 },
      skipped: ['c', 'd'],
      refused: ['b'],
      unknown: [],
    });
    expect(planStop(all, ['a', 'x'], {}).unknown).toEqual(['x']);
  });

  test('stackImages: each image once with its services; an unknown service is a usage error', () => {
    const spec = { name: 's', services: { b: { image: 'x:1' }, a: { image: 'x:1' }, c: { image: 'y:2' } } };
    expect(stackImages(spec as unknown as StackSpec)).toEqual([
      { image: 'x:1', services: ['a', 'b'] },
      { image: 'y:2', services: ['c'] },
    ]);
    expect(stackImages(spec as unknown as StackSpec, ['c'])).toEqual([{ image: 'y:2', services: ['c'] }]);
    expect(() => stackImages(spec as unknown as StackSpec, ['z'])).toThrow(/no service z/);
  });
});
