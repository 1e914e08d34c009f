// Scenarios 1 and 2 of issue 10 on one 3-host cluster (real controller, Redis and agents in namespaces):
// a 3-service stack over an overlay network answers on every host's published port and reaches its
// services by name across hosts; then api scales 2 -> 20 -> 2, spread over hosts, leaving nothing behind.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { requireRoot, requireCommand } from '@tsstack/testkit';
import { sweepStale } from './harness';
import { REPO_ROOT, startControlPlane, until, type ControlPlane } from './control-plane';
import { hostContainers, psTasks, runningOf, type TaskRow } from './cluster-checks';

const STACK = path.join(__dirname, 'stacks', 'three-tier.yml');
const EXAMPLES = path.join(REPO_ROOT, 'examples');

describe('cluster: deploy and scale over 3 hosts', () => {
  let cp: ControlPlane | undefined;

  beforeAll(async () => {
    requireRoot();
    requireCommand('redis-server', 'redis-server');
    requireCommand('curl', 'curl');
    sweepStale();
    cp = await startControlPlane({ hosts: 3 });
  }, 180_000);

  afterAll(async () => {
    await cp?.teardown();
  }, 120_000);

  test('1. web x3 / api x2 / redis x1 on an overlay: every host answers, names resolve across hosts', async () => {
    const c = cp as ControlPlane;
    const up = c.cli(['up', '--wait', '-f', STACK, '--timeout', '120']);
    if (up.status !== 0) throw new Error(`up failed: ${up.stdout}\n${up.stderr}\n${c.logs()}`);
    const tasks = runningOf(psTasks(c, 'shop'));
    expect(tasks.filter((t) => t.service === 'shop_web')).toHaveLength(3);
    expect(tasks.filter((t) => t.service === 'shop_api')).toHaveLength(2);
    expect(tasks.filter((t) => t.service === 'shop_redis')).toHaveLength(1);
    // the published port answers on every host's address (ingress routing mesh)
    for (const h of c.cluster.hosts) {
      const r = c.cluster.exec(c.control, ['curl', '-sS', '-m', '5', `http://${h.address}:8080/`]);
      expect(r).toMatch(/hello/i);
    }
    // every web replica reaches api by name, every api replica reaches redis by name
    for (let i = 1; i <= 3; i++) {
      const r = c.cli([
        'exec',
        '-p',
        'shop',
        '-T',
        '--index',
        String(i),
        'web',
        'wget',
        '-q',
        '-O-',
        'http://api:8081/',
      ]);
      expect({
        i,
        out: r.stdout,
        err: r.stderr,
        code: r.status,
        logs: r.status ? c.logs() : '',
      }).toMatchObject({
        code: 0,
        out: expect.stringMatching(/hello/i),
      });
    }
    for (let i = 1; i <= 2; i++) {
      const r = c.cli(['exec', '-p', 'shop', '-T', '--index', String(i), 'api', 'sh', '-c', 'printf "PING\\r\\n" | busybox nc -w 2 redis 6379']); // prettier-ignore
      expect({ i, out: r.stdout, err: r.stderr, code: r.status }).toMatchObject({
        out: expect.stringContaining('+PONG'),
      });
    }
    // the three tiers are spread: at least two hosts run something, web on all three
    expect(new Set(tasks.filter((t) => t.service === 'shop_web').map((t) => t.node)).size).toBe(3);
  }, 240_000);

  test('2. scale api 2 -> 20 -> 2: spread over hosts, nothing leaks', async () => {
    const c = cp as ControlPlane;
    const before = c.cluster.hosts.map((h) => hostContainers(c, h).length);
    const up = c.cli(['scale', '-p', 'shop', 'api=20']);
    if (up.status !== 0) throw new Error(`scale failed: ${up.stdout}\n${up.stderr}`);
    const at20 = await until(
      '20 running api tasks',
      () => {
        const t = runningOf(psTasks(c, 'shop')).filter((x) => x.service === 'shop_api');
        return t.length === 20 ? t : undefined;
      },
      150_000,
      1000,
    );
    const perNode = new Map<string, number>();
    for (const t of at20) perNode.set(t.node ?? '?', (perNode.get(t.node ?? '?') ?? 0) + 1);
    expect({ nodes: perNode.size, logs: perNode.size === 3 ? '' : c.logs() }).toMatchObject({ nodes: 3 });
    for (const n of perNode.values()) expect(n).toBeGreaterThanOrEqual(5);
    const down = c.cli(['scale', '-p', 'shop', 'api=2']);
    expect(down.status).toBe(0);
    await until(
      '2 api tasks and the containers of the others gone',
      () => {
        const t = runningOf(psTasks(c, 'shop')).filter((x) => x.service === 'shop_api');
        const now = c.cluster.hosts.map((h) => hostContainers(c, h).length);
        return t.length === 2 && now.every((n, i) => n === before[i]) ? true : undefined;
      },
      90_000,
      1000,
    );
    const all: TaskRow[] = psTasks(c, 'shop');
    expect(runningOf(all)).toHaveLength(6);
  }, 300_000);

  test('routing mesh: a single web task answers on every host, also those with nothing on its network', async () => {
    const c = cp as ControlPlane;
    const file = path.join(c.cluster.root, 'solo.yml');
    fs.writeFileSync(
      file,
      `name: solo
services:
  web:
    image: tsstack.local/hello:1
    command: ['httpd', '-f', '-p', '8080', '-h', '/www']
    ports: ['8090:8080']
    networks: [edge]
networks:
  edge:
    driver: overlay
`,
    );
    const up = c.cli(['up', '--wait', '-f', file, '--timeout', '120']);
    if (up.status !== 0) throw new Error(`up failed: ${up.stdout}\n${up.stderr}\n${c.logs()}`);
    expect(runningOf(psTasks(c, 'solo'))).toHaveLength(1);
    const answers = c.cluster.hosts.map((h) => {
      try {
        return c.cluster.exec(c.control, ['curl', '-sS', '-m', '5', `http://${h.address}:8090/`]);
      } catch (err) {
        return (err as Error).message;
      }
    });
    expect(answers.map((a) => /hello/i.test(a))).toEqual([true, true, true]);
    expect(c.cli(['down', '-p', 'solo']).status).toBe(0);
  }, 240_000);

  test('examples/webapp: health-gated depends_on, secret, named volume; api reaches redis by name', async () => {
    const c = cp as ControlPlane;
    const dir = path.join(c.cluster.root, 'webapp');
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(EXAMPLES, 'webapp', 'api_key.txt'), path.join(dir, 'api_key.txt'));
    const yml = fs
      .readFileSync(path.join(EXAMPLES, 'webapp', 'stack.yml'), 'utf8')
      .replace("'8080:8080'", "'8088:8080'");
    fs.writeFileSync(path.join(dir, 'stack.yml'), yml);
    const up = c.cli(['up', '--wait', '-f', path.join(dir, 'stack.yml'), '--timeout', '150']);
    if (up.status !== 0) throw new Error(`up failed: ${up.stdout}\n${up.stderr}\n${c.logs()}`);
    expect(runningOf(psTasks(c, 'webapp'))).toHaveLength(5);
    for (const h of c.cluster.hosts) {
      expect(c.cluster.exec(c.control, ['curl', '-sS', '-m', '5', `http://${h.address}:8088/`])).toMatch(
        /hello/i,
      );
    }
    const api = await until(
      'api to report redis PONG',
      () => {
        const r = c.cli(['exec', '-p', 'webapp', '-T', 'api', 'wget', '-q', '-O-', 'http://127.0.0.1:8081/']);
        return /redis=\+PONG key=\d+B/.test(r.stdout) ? r.stdout : undefined;
      },
      30_000,
      1000,
    );
    expect(api).toMatch(/key=2\dB/);
    expect(c.cli(['down', '-p', 'webapp']).status).toBe(0);
  }, 240_000);
});
