// Starts Debian's docker-registry on loopback (random free port, tmp storage, optional htpasswd or token auth) and a
// tiny HTTP proxy that can corrupt or cut blob responses. Everything is stopped and removed by stop().
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface Registry {
  host: string;
  dir: string;
  stop(): Promise<void>;
}

/** Token auth settings of the registry (`auth: token`), see token-server.ts. */
export interface TokenAuth {
  realm: string;
  service: string;
  issuer: string;
  rootCertBundle: string;
}

export async function startRegistry(
  auth?: { user: string; password: string },
  token?: TokenAuth,
): Promise<Registry> {
  for (const bin of ['docker-registry', 'htpasswd']) {
    try {
      execFileSync('which', [bin]);
    } catch {
      throw new Error(`${bin} is missing: apt-get install docker-registry apache2-utils`);
    }
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsstack-registry-'));
  const port = await freePort();
  let authBlock = '';
  if (auth) {
    execFileSync('htpasswd', ['-Bbc', path.join(dir, 'htpasswd'), auth.user, auth.password], {
      stdio: 'ignore',
    });
    authBlock = `auth:\n  htpasswd:\n    realm: tsstack-test\n    path: ${dir}/htpasswd\n`;
  }
  if (token) {
    authBlock =
      `auth:\n  token:\n    realm: ${token.realm}\n    service: ${token.service}\n` +
      `    issuer: ${token.issuer}\n    rootcertbundle: ${token.rootCertBundle}\n`;
  }
  const config = `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${authBlock}`;
  fs.writeFileSync(path.join(dir, 'config.yml'), config);
  const child: ChildProcess = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 10000;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/v2/`);
      await res.body?.cancel();
      break;
    } catch {
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill('SIGKILL');
        fs.rmSync(dir, { recursive: true, force: true });
        throw new Error(`docker-registry did not start: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    host: `127.0.0.1:${port}`,
    dir,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await gone;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type ProxyMode = 'pass' | 'corrupt-blobs' | 'cut-blobs';

/** Forwarding proxy on loopback; `mode` can be changed at any time. */
export async function startProxy(upstream: string): Promise<{
  host: string;
  mode: ProxyMode;
  blobRequests: number;
  beforeBlob: undefined | (() => Promise<void>);
  stop(): Promise<void>;
}> {
  const port = await freePort();
  const state = {
    host: `127.0.0.1:${port}`,
    mode: 'pass' as ProxyMode,
    blobRequests: 0,
    beforeBlob: undefined as undefined | (() => Promise<void>),
    stop: async () => undefined,
  };
  const server = http.createServer(async (req, res) => {
    const isBlob = /\/blobs\/sha256:/.test(req.url ?? '') && req.method === 'GET';
    if (isBlob) state.blobRequests++;
    if (isBlob && state.beforeBlob) await state.beforeBlob();
    const [uh, up] = upstream.split(':');
    const preq = http.request(
      { host: uh, port: Number(up), path: req.url, method: req.method, headers: req.headers },
      (pres) => {
        if (!isBlob || state.mode === 'pass' || (pres.statusCode ?? 0) >= 300) {
          res.writeHead(pres.statusCode ?? 502, pres.headers);
          pres.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        pres.on('data', (c: Buffer) => chunks.push(c));
        pres.on('end', () => {
          const body = Buffer.concat(chunks);
          if (state.mode === 'corrupt-blobs') {
            body[body.length >> 1] ^= 0xff;
            res.writeHead(200, pres.headers);
            res.end(body);
          } else {
            res.writeHead(200, pres.headers);
            res.write(body.subarray(0, body.length >> 1));
            res.destroy();
          }
        });
      },
    );
    preq.on('error', () => res.destroy());
    req.pipe(preq);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  state.stop = () =>
    new Promise<undefined>((r) => {
      server.closeAllConnections();
      server.close(() => r(undefined));
    });
  return state;
}
