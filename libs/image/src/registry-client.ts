// Minimal OCI distribution client over Node's fetch: manifests, blobs, monolithic uploads and cross-repo
// mounts; Basic and Bearer
// token auth (WWW-Authenticate challenge); retries on network errors and 5xx.
import * as fs from 'node:fs';
import { Readable } from 'node:stream';
import { RegistryAuthError, RegistryUnavailableError, ImageNotFoundError } from './errors';
import { registryEndpoint } from './reference';
import { MT } from './types';

export interface Credentials {
  username: string;
  password: string;
}

export interface RegistryClientOptions {
  insecure: boolean;
  credentials?: Credentials;
  retries?: number;
}

const ACCEPT = [MT.ociIndex, MT.ociManifest, MT.dockerList, MT.dockerManifest].join(', ');

export class RegistryClient {
  private bearer?: string;
  private readonly base: string;

  constructor(
    readonly registry: string,
    private readonly opts: RegistryClientOptions,
  ) {
    this.base = `${opts.insecure ? 'http' : 'https'}://${registryEndpoint(registry)}`;
  }

  private authHeader(): Record<string, string> {
    if (this.bearer) return { authorization: `Bearer ${this.bearer}` };
    if (this.opts.credentials) {
      const b = Buffer.from(`${this.opts.credentials.username}:${this.opts.credentials.password}`).toString(
        'base64',
      );
      return { authorization: `Basic ${b}` };
    }
    return {};
  }

  private async authenticate(challenge: string): Promise<void> {
    if (/^basic/i.test(challenge)) {
      if (!this.opts.credentials) throw new RegistryAuthError(this.registry, 'credentials required');
      throw new RegistryAuthError(this.registry, 'wrong user name or password');
    }
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (!params.realm) throw new RegistryAuthError(this.registry, `unsupported challenge ${challenge}`);
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    if (params.scope) url.searchParams.set('scope', params.scope);
    const headers: Record<string, string> = {};
    if (this.opts.credentials) {
      headers.authorization = `Basic ${Buffer.from(`${this.opts.credentials.username}:${this.opts.credentials.password}`).toString('base64')}`;
    }
    const res = await fetch(url, { headers });
    if (!res.ok) throw new RegistryAuthError(this.registry, `token endpoint answered ${res.status}`);
    const body = (await res.json()) as { token?: string; access_token?: string };
    this.bearer = body.token ?? body.access_token;
  }

  /** One request with auth and retries. `body` factories let a retry resend. */
  async request(
    method: string,
    pathOrUrl: string,
    init: { headers?: Record<string, string>; body?: () => Buffer | Readable } = {},
  ): Promise<Response> {
    const retries = this.opts.retries ?? 3;
    let lastErr: unknown;
    let authTried = false;
    for (let attempt = 0; attempt <= retries; attempt++) {
      const url = pathOrUrl.startsWith('http') ? pathOrUrl : this.base + pathOrUrl;
      let res: Response;
      try {
        const body = init.body?.();
        res = await fetch(url, {
          method,
          headers: { ...init.headers, ...this.authHeader() },
          body: body as never,
          redirect: 'follow',
          ...(body instanceof Readable ? { duplex: 'half' } : {}),
        } as RequestInit);
      } catch (e) {
        lastErr = e;
        await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
        continue;
      }
      if (res.status === 401) {
        await res.body?.cancel();
        const challenge = res.headers.get('www-authenticate') ?? '';
        if (authTried) throw new RegistryAuthError(this.registry, 'wrong user name or password');
        if (/^basic/i.test(challenge)) {
          throw new RegistryAuthError(
            this.registry,
            this.opts.credentials ? 'wrong user name or password' : 'credentials required',
          );
        }
        await this.authenticate(challenge);
        authTried = true;
        attempt--;
        continue;
      }
      if (res.status >= 500) {
        lastErr = new Error(`HTTP ${res.status}`);
        await res.body?.cancel();
        await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
        continue;
      }
      return res;
    }
    throw new RegistryUnavailableError(
      this.registry,
      `${method} ${pathOrUrl} failed after ${retries + 1} attempts: ${String((lastErr as Error)?.message ?? lastErr)}`,
      lastErr,
    );
  }

  async getManifest(
    repo: string,
    ref: string,
  ): Promise<{ mediaType: string; digest?: string; body: Buffer }> {
    const res = await this.request('GET', `/v2/${repo}/manifests/${ref}`, { headers: { accept: ACCEPT } });
    if (res.status === 404)
      throw new ImageNotFoundError(`${this.registry}/${repo}:${ref}`, 'in the registry');
    if (!res.ok) throw new RegistryUnavailableError(this.registry, `manifest ${ref}: HTTP ${res.status}`);
    const body = Buffer.from(await res.arrayBuffer());
    return {
      mediaType: (res.headers.get('content-type') ?? '').split(';')[0],
      digest: res.headers.get('docker-content-digest') ?? undefined,
      body,
    };
  }

  async getBlob(repo: string, digest: string): Promise<Readable> {
    const res = await this.request('GET', `/v2/${repo}/blobs/${digest}`);
    if (res.status === 404) throw new ImageNotFoundError(digest, `in ${this.registry}/${repo}`);
    if (!res.ok || !res.body)
      throw new RegistryUnavailableError(this.registry, `blob ${digest}: HTTP ${res.status}`);
    return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
  }

  async hasBlob(repo: string, digest: string): Promise<boolean> {
    const res = await this.request('HEAD', `/v2/${repo}/blobs/${digest}`);
    return res.ok;
  }

  /**
   * Makes `digest` present in `repo`: nothing when it is there, a cross-repository mount from one of
   * `mountFrom` when the registry accepts it (201), else a monolithic upload. Says which it was.
   */
  async putBlob(
    repo: string,
    digest: string,
    file: string,
    mountFrom: string[] = [],
  ): Promise<'exists' | 'mounted' | 'uploaded'> {
    if (await this.hasBlob(repo, digest)) return 'exists';
    for (const from of mountFrom) {
      const q = new URLSearchParams({ mount: digest, from });
      const res = await this.request('POST', `/v2/${repo}/blobs/uploads/?${q.toString()}`);
      await res.body?.cancel();
      if (res.status === 201) return 'mounted';
    }
    const start = await this.request('POST', `/v2/${repo}/blobs/uploads/`);
    if (start.status !== 202)
      throw new RegistryUnavailableError(this.registry, `upload start: HTTP ${start.status}`);
    const loc = new URL(start.headers.get('location') ?? '', this.base + '/');
    loc.searchParams.set('digest', digest);
    const size = fs.statSync(file).size;
    const put = await this.request('PUT', loc.toString(), {
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body: () => fs.readFileSync(file),
    });
    if (put.status !== 201)
      throw new RegistryUnavailableError(
        this.registry,
        `upload ${digest}: HTTP ${put.status} ${await put.text()}`,
      );
    return 'uploaded';
  }

  async putManifest(repo: string, ref: string, mediaType: string, body: Buffer): Promise<void> {
    const res = await this.request('PUT', `/v2/${repo}/manifests/${ref}`, {
      headers: { 'content-type': mediaType },
      body: () => body,
    });
    if (res.status !== 201)
      throw new RegistryUnavailableError(
        this.registry,
        `manifest put: HTTP ${res.status} ${await res.text()}`,
      );
  }
}
