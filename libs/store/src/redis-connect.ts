// Opening ioredis connections from a URL: redis://[:password@]host:port[/db] or
// unix:///path/to/redis.sock?password=... . Commands fail fast while Redis is away (no offline queue), so the
// API can answer 503 instead of hanging; ioredis reconnects by itself.
import Redis, { type RedisOptions } from 'ioredis';
import { TsstackError, UnavailableError } from '@tsstack/model';

export function redisOptions(url: string): RedisOptions {
  const u = new URL(url);
  const base: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (n) => Math.min(50 * 2 ** Math.min(n, 6), 1000),
    connectTimeout: 3000,
  };
  if (u.protocol === 'unix:') {
    return {
      ...base,
      path: decodeURIComponent(u.pathname),
      password: u.searchParams.get('password') ?? undefined,
    };
  }
  if (u.protocol !== 'redis:') {
    throw new TsstackError(
      'STORE_BAD_URL',
      `redis URL ${url}: use redis://[:password@]host:port or unix:///path?password=`,
    );
  }
  return {
    ...base,
    host: u.hostname || '127.0.0.1',
    port: Number(u.port || 6379),
    password: u.password ? decodeURIComponent(u.password) : undefined,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
  };
}

/** Connect and wait until Redis answers; throws UnavailableError with the address when it does not. */
export async function connectRedis(url: string, overrides: RedisOptions = {}): Promise<Redis> {
  const r = new Redis({ ...redisOptions(url), ...overrides });
  r.on('error', () => undefined); // reported through failing commands; reconnects on its own
  try {
    await r.connect();
    await r.ping();
  } catch (err) {
    r.disconnect();
    throw new UnavailableError(`cannot reach redis at ${safeUrl(url)}: ${(err as Error).message}`, err);
  }
  return r;
}

export function safeUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@').replace(/password=[^&]*/, 'password=***');
}

/** Typed errors pass through; anything else from Redis becomes UnavailableError (503, retry later). */
export function storeError(err: unknown): Error {
  if (err instanceof TsstackError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new UnavailableError(`redis is unavailable: ${msg}`, err);
}
