// Bearer-token check for every HTTP request and WebSocket upgrade but /health. A wrong or missing token gets
// 401 and no data. WebSocket clients that cannot set headers may pass ?token=.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { UnauthorizedError } from '@tsstack/model';
import { errorBody } from './api-error.filter';
import type { HttpReq, HttpRes } from './http-types';

export function tokenOk(req: IncomingMessage, token: string): boolean {
  const h = req.headers.authorization ?? '';
  let given = /^Bearer\s+(.+)$/i.exec(h)?.[1]?.trim();
  if (!given) given = new URL(req.url ?? '/', 'http://x').searchParams.get('token') ?? undefined;
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function authMiddleware(token: () => string) {
  return (req: HttpReq, res: HttpRes, next: () => void): void => {
    const p = (req.url ?? '/').split('?')[0];
    if (p === '/health' || tokenOk(req, token())) return next();
    res.statusCode = 401;
    res.setHeader('content-type', 'application/json');
    res.setHeader('www-authenticate', 'Bearer');
    res.end(
      JSON.stringify(
        errorBody(
          new UnauthorizedError(
            'missing or wrong bearer token: use the token file <data-dir>/controller/token or TSSTACK_TOKEN',
          ),
        ),
      ),
    );
  };
}

export function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.write(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.destroy();
}
