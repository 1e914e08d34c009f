// A tiny Bearer token server for docker-registry's `auth: token`: an RSA key and self-signed certificate
// made with openssl (the registry trusts the certificate as its root bundle), and a node http endpoint that
// hands out RS256 JWTs carrying the certificate in `x5c`. Policy: anyone may pull repositories under
// `pub/`; the one user (Basic auth) may pull and push everything; a wrong password gets 401.
import { execFileSync } from 'node:child_process';
import { createSign, randomBytes, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { freePort, TokenAuth } from './registry-harness';

export interface TokenRequest {
  user?: string;
  service?: string;
  scope: string[];
}

export interface TokenServer {
  auth: TokenAuth;
  requests: TokenRequest[];
  stop(): Promise<void>;
}

function b64url(b: Buffer | string): string {
  return Buffer.from(b).toString('base64url');
}

export async function startTokenServer(dir: string, user: string, password: string): Promise<TokenServer> {
  const key = path.join(dir, 'token.key');
  const cert = path.join(dir, 'token.crt');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=tsstack-test-token',
    ],
    { stdio: 'ignore' },
  );
  const privateKey = fs.readFileSync(key);
  const x5c = new X509Certificate(fs.readFileSync(cert)).raw.toString('base64');
  const port = await freePort();
  const auth: TokenAuth = {
    realm: `http://127.0.0.1:${port}/token`,
    service: 'tsstack-test-registry',
    issuer: 'tsstack-test-issuer',
    rootCertBundle: cert,
  };
  const requests: TokenRequest[] = [];

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', auth.realm);
    const scope = url.searchParams
      .getAll('scope')
      .flatMap((s) => s.split(' '))
      .filter(Boolean);
    let who: string | undefined;
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
    if (basic) {
      const [u, p] = Buffer.from(basic[1], 'base64').toString().split(':');
      if (u !== user || p !== password) {
        requests.push({ user: u, service: url.searchParams.get('service') ?? undefined, scope });
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end('{"details":"wrong user name or password"}');
        return;
      }
      who = u;
    }
    requests.push({ user: who, service: url.searchParams.get('service') ?? undefined, scope });
    const access = scope.flatMap((s) => {
      const [type, name, actions] = s.split(':');
      if (type !== 'repository') return [];
      const wanted = actions.split(',');
      const allowed = who ? wanted : name.startsWith('pub/') ? wanted.filter((a) => a === 'pull') : [];
      return [{ type, name, actions: allowed }];
    });
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', x5c: [x5c] };
    const claims = {
      iss: auth.issuer,
      sub: who ?? '',
      aud: url.searchParams.get('service') ?? auth.service,
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomBytes(8).toString('hex'),
      access,
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = createSign('RSA-SHA256').update(input).sign(privateKey);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        token: `${input}.${b64url(sig)}`,
        expires_in: 300,
        issued_at: new Date().toISOString(),
      }),
    );
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    auth,
    requests,
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
