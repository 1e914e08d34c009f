// Integration: the built `node bin/tsstack.js config` (run `npm run build:ts` first) on the example stacks and
// on broken variants: exit codes (0, 2 for spec and usage errors), YAML and JSON output of the normalized
// model, --services/--profiles/-q, -f merges with !reset/!override, profiles, and located errors with a caret.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'tsstack.js');
const MAIN = path.join(ROOT, 'dist', 'apps', 'cli', 'src', 'main.js');
const SHOP = path.join(ROOT, 'examples', 'compose', 'shop');
const INVALID = path.join(ROOT, 'examples', 'compose', 'invalid');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function config(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Result {
  const r = spawnSync(process.execPath, [BIN, 'config', ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), ...opts.env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

beforeAll(() => {
  if (!existsSync(MAIN))
    throw new Error(`${MAIN} is missing: run npm run build:ts before the spec CLI tests`);
});

describe('tsstack config on valid stacks', () => {
  it.each(['examples/hello/stack.yml', 'examples/webapp/stack.yml'])(
    '%s prints the normalized model',
    (file) => {
      const r = config(['-f', file]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const stack = parse(r.stdout) as Json;
      expect(Object.keys(stack.services).length).toBeGreaterThan(0);
      for (const s of Object.values(stack.services) as Json[]) {
        expect(s.deploy.updateConfig).toMatchObject({
          parallelism: expect.any(Number),
          monitorMs: expect.any(Number),
        });
      }
    },
  );

  it('the shop example: extends, include, .env, secrets, configs, healthchecks, deploy', () => {
    const r = config(['-f', 'compose.yaml'], { cwd: SHOP });
    expect(r.code).toBe(0);
    const s = parse(r.stdout) as Json;
    expect(s.name).toBe('shop');
    expect(Object.keys(s.services).sort()).toEqual(['api', 'cache', 'db', 'node-exporter', 'web']);
    expect(s.services.api.image).toBe('registry.local/shop/api:1.4.2');
    expect(s.services.api.environment).toMatchObject({
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      PRICE: '$9.99',
      DATABASE_URL: 'postgres://shop@db:5432/shop',
    });
    expect(s.services.api.command).toEqual(['node', 'server.js', '--port', '3000']);
    expect(s.services.api.healthcheck).toMatchObject({
      test: ['CMD-SHELL', 'curl -fsS http://127.0.0.1:3000/health || exit 1'],
      intervalMs: 5000,
      startPeriodMs: 10_000,
    });
    expect(s.services.api.resources.limits).toEqual({
      nanoCpus: 500_000_000,
      memoryBytes: 256 * 1024 * 1024,
    });
    expect(s.services.api.deploy.restartPolicy).toEqual({
      condition: 'on-failure',
      delayMs: 2000,
      maxAttempts: 5,
      windowMs: 60_000,
    });
    expect(s.services.web.ports).toEqual([{ target: 80, published: 8080, protocol: 'tcp', mode: 'ingress' }]);
    expect(s.services.web.dependsOn.api.condition).toBe('service_healthy');
    expect(s.services.db.secrets[0]).toMatchObject({
      source: 'db_password',
      target: '/run/secrets/db_password',
      mode: 0o400,
    });
    expect(s.services['node-exporter']).toMatchObject({
      image: 'prom/node-exporter:v1.8.1',
      deploy: { mode: 'global' },
    });
    expect(s.secrets.db_password.content).toMatch(/^<redacted: \d+ bytes>$/);
    expect(Buffer.from(s.configs.nginx_conf.content, 'base64').toString()).toContain('proxy_pass');
    expect(s.networks.back).toMatchObject({
      name: 'shop_back',
      internal: true,
      ipam: [{ subnet: '10.42.0.0/24' }],
    });
  });

  it('the blog example: profiles, job mode, tmpfs mode, depends_on restart/required, logging, YAML anchors', () => {
    const r = config(['-f', 'examples/compose/blog/compose.yaml', '--profile', '*', '--format', 'json'], {
      env: { WP_REPLICAS: '3' },
    });
    expect(r.stderr).toBe('');
    const s = JSON.parse(r.stdout) as Json;
    expect(Object.keys(s.services)).toEqual(['wordpress', 'db', 'redis', 'backup', 'phpmyadmin']);
    expect(s.services.wordpress.deploy).toMatchObject({ replicas: 3, rollbackConfig: { parallelism: 0 } });
    expect(s.services.wordpress.deploy.updateConfig).toEqual({
      parallelism: 1,
      delayMs: 15_000,
      order: 'start-first',
      monitorMs: 30_000,
      maxFailureRatio: 0.2,
      failureAction: 'rollback',
    });
    expect(s.services.wordpress.volumes[1]).toEqual({
      type: 'tmpfs',
      target: '/tmp',
      readOnly: false,
      sizeBytes: 64 * 1024 * 1024,
      mode: 0o1777,
    });
    expect(s.services.wordpress.dependsOn.redis).toEqual({
      condition: 'service_started',
      restart: false,
      required: false,
    });
    expect(s.services.db.logging).toEqual({ maxSizeBytes: 5 * 1024 * 1024, maxFile: 2 });
    expect(s.services.backup.deploy).toMatchObject({
      mode: 'replicated-job',
      restartPolicy: { condition: 'none' },
    });
    expect(s.services.backup.command[0]).toContain('dump-$(date +%F).sql');
    expect(s.services.db.environment.MARIADB_RANDOM_ROOT_PASSWORD).toBe('yes');
  });

  it('--format json prints the same model as YAML', () => {
    const y = parse(config(['-f', 'compose.yaml'], { cwd: SHOP }).stdout);
    const j = config(['-f', 'compose.yaml', '--format', 'json'], { cwd: SHOP });
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toEqual(y);
  });

  it('a second -f file merges with !override and !reset', () => {
    const r = config(['-f', 'compose.yaml', '-f', 'compose.prod.yaml', '--format', 'json'], { cwd: SHOP });
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as Json;
    expect(s.services.web.ports).toEqual([{ target: 80, published: 443, protocol: 'tcp', mode: 'ingress' }]);
    expect(s.services.web.deploy.replicas).toBe(4);
    expect(s.services.api.environment.LOG_LEVEL).toBe('warn');
    expect(s.services.cache.ulimits).toEqual({});
  });

  it('--services lists dependencies first; --profile and COMPOSE_PROFILES enable services', () => {
    expect(config(['--services'], { cwd: SHOP }).stdout.split('\n').filter(Boolean)).toEqual([
      'cache',
      'db',
      'api',
      'node-exporter',
      'web',
    ]);
    expect(config(['--services', '--profile', 'debug'], { cwd: SHOP }).stdout).toContain('adminer\n');
    expect(config(['--services'], { cwd: SHOP, env: { COMPOSE_PROFILES: 'jobs' } }).stdout).toContain(
      'worker\n',
    );
  });

  it('--profiles lists every profile; -q prints nothing', () => {
    expect(config(['--profiles'], { cwd: SHOP }).stdout).toBe('debug\njobs\n');
    expect(config(['-q'], { cwd: SHOP })).toMatchObject({ code: 0, stdout: '' });
  });

  it('the shell environment wins over .env; -p names the project', () => {
    const r = config(['-p', 'shop-staging', '--format', 'json'], {
      cwd: SHOP,
      env: { APP_VERSION: '9.9.9' },
    });
    const s = JSON.parse(r.stdout) as Json;
    expect(s.name).toBe('shop-staging');
    expect(s.services.api.image).toBe('registry.local/shop/api:9.9.9');
    expect(s.networks.front.name).toBe('shop-staging_front');
  });
});

describe('tsstack config on invalid stacks', () => {
  const files = readdirSync(INVALID).filter((f) => f.endsWith('.yaml'));
  it('has broken variants to check', () => expect(files.length).toBeGreaterThanOrEqual(8));

  it.each(files)('%s fails with its located error', (f) => {
    const file = path.join(INVALID, f);
    const expected = /^# expect: (.*)$/m.exec(readFileSync(file, 'utf8'))![1]!;
    const r = config(['-f', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(expected);
    expect(r.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `));
    expect(r.stderr).toMatch(/\n\d+ \| .*\n +\| +\^/);
  });

  it('usage errors exit 2: a missing file, a bad --format', () => {
    expect(config(['-f', 'nope.yaml']).code).toBe(2);
    expect(config(['-f', 'examples/hello/stack.yml', '--format', 'xml'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--format xml'),
    });
  });

  it('no Compose file in the directory is reported', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tsstack-spec-'));
    try {
      const r = config([], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('no Compose file here');
      writeFileSync(path.join(dir, 'docker-compose.yml'), 'services:\n  a: {image: busybox}\n');
      const ok = config(['--format', 'json'], { cwd: dir });
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.stdout).name).toBe(
        path
          .basename(dir)
          .toLowerCase()
          .replace(/[^a-z0-9-]+/g, '-'),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
