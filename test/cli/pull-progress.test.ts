// `tsstack up --wait` shows `<service>: pulling n%` while the node agent pulls the service's image, end to end:
// a ~30 MB image of random bytes pushed to Debian's docker-registry on loopback, served to the agent through a
// TLS proxy written here that paces blob bodies (so the pull takes a few seconds), the embedded control plane
// and the real CLI. Torn down in afterAll: the stack, the daemons and the agent's cleanup, the proxy, the
// registry and every temporary dir.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildImage, ImageStore } from '@tsstack/image';
import {
  busyboxImage,
  freePort,
  REPO_ROOT,
  requireRoot,
  startEmbeddedCli,
  TSSTACK_BIN,
  type EmbeddedCli,
} from '@tsstack/testkit';
import { startRegistry, type Registry } from '../image/registry-harness';

const IMAGE_BYTES = 30 * 1024 * 1024;
/** Blob bodies go out at this rate: the 30 MB layer takes about four seconds. */
const BYTES_PER_SECOND = 8 * 1024 * 1024;
const PIECE = 64 * 1024;

interface PacedProxy {
  host: string;
  /** GET requests per blob path. */
  blobGets: Map<string, number>;
  stop(): Promise<void>;
}

/** Writes `body` to `res` no faster than BYTES_PER_SECOND. */
async function pace(body: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const started = Date.now();
  let sent = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    for (let off = 0; off < chunk.length; off += PIECE) {
      const piece = chunk.subarray(off, off + PIECE);
      sent += piece.length;
      const wait = started + (sent / BYTES_PER_SECOND) * 1000 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (res.destroyed) return;
      if (!res.write(piece)) await once(res, 'drain');
    }
  }
  res.end();
}

/** HTTPS on loopback (certificate for IP 127.0.0.1) in front of the plain-HTTP registry. */
async function startPacedProxy(upstream: string, tls: { key: Buffer; cert: Buffer }): Promise<PacedProxy> {
  const port = await freePort();
  const [upHost, upPort] = upstream.split(':');
  const blobGets = new Map<string, number>();
  const server = https.createServer(tls, (req, res) => {
    const isBlob = req.method === 'GET' && /\/blobs\/sha256:/.test(req.url ?? '');
    if (isBlob) blobGets.set(req.url!, (blobGets.get(req.url!) ?? 0) + 1);
    const headers = { ...req.headers, host: upstream };
    const out = http.request(
      { host: upHost, port: Number(upPort), path: req.url, method: req.method, headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        if (!isBlob || (up.statusCode ?? 0) >= 300) up.pipe(res);
        else pace(up, res).catch(() => res.destroy());
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return {
    host: `127.0.0.1:${port}`,
    blobGets,
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function selfSignedCert(dir: string): { key: Buffer; cert: Buffer; certPath: string } {
  const keyPath = path.join(dir, 'key.pem');
  const certPath = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '1',
     '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], // prettier-ignore
    { stdio: 'ignore' },
  );
  return { key: fs.readFileSync(keyPath), cert: fs.readFileSync(certPath), certPath };
}

/** Busybox plus one layer of IMAGE_BYTES random (incompressible) bytes, pushed to `registry` as test/bulk:1. */
async function pushBulkImage(registry: Registry, dir: string): Promise<void> {
  const store = new ImageStore({ root: path.join(dir, 'store'), insecureRegistries: [registry.host] });
  const bb = await busyboxImage();
  await store.importOciLayout(bb.ociLayout, bb.reference);
  const ctx = path.join(dir, 'ctx');
  fs.mkdirSync(ctx);
  fs.writeFileSync(path.join(ctx, 'bulk.bin'), randomBytes(IMAGE_BYTES));
  fs.writeFileSync(path.join(ctx, 'Dockerfile'), `FROM ${bb.reference}\nCOPY bulk.bin /bulk.bin\n`);
  const ref = `${registry.host}/test/bulk:1`;
  await buildImage(store, { context: ctx, tags: [ref] });
  await store.push(ref);
}

/** The CLI without blocking this process: the proxy that serves the pull runs on this event loop. */
async function cliAsync(
  plane: EmbeddedCli,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [TSSTACK_BIN, ...args], {
    env: { ...plane.env, ...env },
    cwd: REPO_ROOT,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [status] = (await once(child, 'close')) as [number | null];
  return { status, stdout, stderr };
}

describe('up shows image pull progress', () => {
  let plane: EmbeddedCli | undefined;
  let registry: Registry | undefined;
  let proxy: PacedProxy | undefined;
  let tmp = '';

  afterAll(async () => {
    plane?.teardown(['pullprog']);
    await proxy?.stop();
    await registry?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('up --wait prints `bulk: pulling n%` (0 < n < 100) while the agent pulls, each replica hears the one pull', async () => {
    requireRoot();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsstack-pullprog-'));
    registry = await startRegistry();
    await pushBulkImage(registry, tmp);
    const tls = selfSignedCert(tmp);
    proxy = await startPacedProxy(registry.host, tls);
    plane = await startEmbeddedCli('pullprog');
    const file = path.join(tmp, 'stack.yml');
    fs.writeFileSync(
      file,
      `name: pullprog\nservices:\n  bulk:\n    image: ${proxy.host}/test/bulk:1\n    command: ['sleep', '3600']\n    deploy:\n      replicas: 2\n`,
    );

    // The daemons start with this command's environment: the agent trusts the proxy's certificate.
    const up = await cliAsync(plane, ['up', '-f', file, '--wait', '--timeout', '90'], {
      NODE_EXTRA_CA_CERTS: tls.certPath,
    });

    expect(up.stderr).toBe('');
    const percents = [...up.stdout.matchAll(/^bulk: pulling (\d+)%$/gm)].map((m) => Number(m[1]));
    expect(percents.some((n) => n > 0 && n < 100)).toBe(true);
    const lines = up.stdout.trim().split('\n');
    const pulling = lines.findIndex((l) => /^bulk: pulling \d+%$/.test(l));
    const running = lines.findIndex((l) => l === 'bulk: running 2/2');
    expect(pulling).toBeGreaterThanOrEqual(0);
    expect(running).toBeGreaterThan(pulling);
    expect(lines[lines.length - 1]).toMatch(/^1 services reached their goal in [\d.]+s$/);
    expect(up.status).toBe(0);

    // Both tasks waited on one shared pull (every blob fetched once) and each reported it (the event stream, replayed from the start).
    const events = plane.cli(['events', '--since', '0', '--json', '--type', 'image.pull.progress'], {
      timeoutMs: 5000,
    });
    const reports = events.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { task: string; data: { done: number; total: number } });
    // The config and the bulk layer (busybox's layer is in the store already, from the fixture's import).
    expect([...proxy.blobGets.values()]).toEqual([1, 1]);
    const tasks = new Set(reports.map((e) => e.task));
    expect(tasks.size).toBe(2);
    for (const t of tasks) {
      const mine = reports.filter((e) => e.task === t).map((e) => e.data);
      expect(mine.some((d) => d.done > 0 && d.done < d.total)).toBe(true);
      expect(mine[mine.length - 1]!.done).toBe(mine[mine.length - 1]!.total);
    }
  });
});
