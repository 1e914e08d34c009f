import { resolveContext, normalizeUrl } from './context';
import { ApiClient } from './api-client';
import { ApiError, ControllerUnreachableError } from './cli-errors';

describe('resolveContext', () => {
  const none = () => undefined;
  it('defaults to the local controller and the token file in the data dir', () => {
    const seen: string[] = [];
    const c = resolveContext({ env: { TSSTACK_DATA_DIR: '/d' }, readFile: (p) => (seen.push(p), 'tok\n') });
    expect(c).toEqual({
      url: 'http://127.0.0.1:7700',
      token: 'tok',
      tokenSource: '/d/controller/token',
      isDefault: true,
    });
    expect(seen).toEqual(['/d/controller/token']);
  });
  it('prefers --context over TSSTACK_HOST and TSSTACK_TOKEN over the file', () => {
    const c = resolveContext({
      context: '10.1.0.1:7700',
      env: { TSSTACK_HOST: 'x:1', TSSTACK_TOKEN: 't' },
      readFile: none,
    });
    expect(c).toEqual({
      url: 'http://10.1.0.1:7700',
      token: 't',
      tokenSource: 'TSSTACK_TOKEN',
      isDefault: false,
    });
    expect(resolveContext({ env: { TSSTACK_HOST: 'https://h:9/' }, readFile: none }).url).toBe('https://h:9');
  });
  it('TSSTACK_EMBEDDED_ADDR moves the local default and keeps it the default', () => {
    const c = resolveContext({ env: { TSSTACK_EMBEDDED_ADDR: '127.0.0.1:17700' }, readFile: none });
    expect(c).toMatchObject({ url: 'http://127.0.0.1:17700', isDefault: true });
  });
  it('rejects non-http schemes', () => {
    expect(() => normalizeUrl('ftp://h')).toThrow(/use http/);
  });
});

describe('ApiClient', () => {
  it('sends the bearer token and JSON body', async () => {
    const calls: Array<[string, RequestInit]> = [];
    const f = (async (u: string, init: RequestInit) => {
      calls.push([u, init]);
      return new Response(JSON.stringify({ plan: [] }), { status: 200 });
    }) as unknown as typeof fetch;
    const out = await new ApiClient('http://c:1', 'tok', f).plan('s 1', { services: {} });
    expect(out).toEqual({ plan: [] });
    expect(calls[0]![0]).toBe('http://c:1/v1/stacks/s%201/plan');
    expect((calls[0]![1].headers as Record<string, string>).authorization).toBe('Bearer tok');
    expect(JSON.parse(String(calls[0]![1].body))).toEqual({ stack: { services: {} }, removeOrphans: false });
    await new ApiClient('http://c:1', 'tok', f).deploy('s', { services: {} }, { removeOrphans: true });
    expect(calls[1]![1].method).toBe('PUT');
    expect(JSON.parse(String(calls[1]![1].body))).toEqual({ stack: { services: {} }, removeOrphans: true });
  });
  it('maps error bodies to ApiError with exit 2 for spec errors', async () => {
    const f = (async () =>
      new Response(
        JSON.stringify({ error: { code: 'SPEC', message: 'bad port', issues: [{ path: 'x' }] } }),
        {
          status: 400,
        },
      )) as unknown as typeof fetch;
    const err = await new ApiClient('http://c:1', undefined, f).listStacks().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).exitCode).toBe(2);
    expect((err as ApiError).message).toBe('bad port (HTTP 400 SPEC)');
  });
  it('says how to start a controller when nothing listens', async () => {
    // Port 1 on loopback: nothing listens there.
    const err = await new ApiClient('http://127.0.0.1:1', undefined).health().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ControllerUnreachableError);
    expect((err as Error).message).toContain(
      'controller unreachable at http://127.0.0.1:1: start it with `tsstack up`',
    );
  });
});
