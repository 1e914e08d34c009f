// libs/spec: Compose `ports:` (short "[ip:][published[-end]:]target[-end][/proto]" and long syntax) -> the
// long PortSpec list of the model. Ranges expand to one PortSpec per port. Swarm's default mode is ingress;
// a host IP implies mode host (the routing mesh listens on every address).
import type { PortSpec, Protocol } from '@tsstack/model';
import { isPlainObject } from './source-locations';
import { show, type Parsed } from './units';

const PROTOCOLS = new Set(['tcp', 'udp']);

export function parsePort(v: unknown): Parsed<PortSpec[]> {
  if (typeof v === 'number')
    return v >= 1 && v <= 65535 && Number.isInteger(v)
      ? ok([{ target: v, protocol: 'tcp', mode: 'ingress' }])
      : bad(`port ${v} is out of range 1-65535`);
  if (typeof v === 'string') return parseShort(v);
  if (isPlainObject(v)) return parseLong(v);
  return bad(`expected a port such as "8080:80" or a mapping with target:, got ${show(v)}`);
}

function parseShort(raw: string): Parsed<PortSpec[]> {
  let s = raw.trim();
  let protocol: Protocol = 'tcp';
  const slash = s.lastIndexOf('/');
  if (slash >= 0) {
    const p = s.slice(slash + 1).toLowerCase();
    if (!PROTOCOLS.has(p)) return bad(`port "${raw}": protocol "${p}" is not supported (use tcp or udp)`);
    protocol = p as Protocol;
    s = s.slice(0, slash);
  }
  let hostIp: string | undefined;
  if (s.startsWith('[')) {
    const close = s.indexOf(']:');
    if (close < 0) return bad(`port "${raw}": an IPv6 host address is written [addr]:published:target`);
    hostIp = s.slice(1, close);
    s = s.slice(close + 2);
  }
  const parts = s.split(':');
  if (parts.length > 3 || (hostIp !== undefined && parts.length > 2)) {
    return bad(`port "${raw}": use [host_ip:][published:]target[/protocol]`);
  }
  if (parts.length === 3) hostIp = parts.shift();
  const target = range(parts.pop()!, raw, 'target');
  if (!target.ok) return target;
  const publishedText = parts.pop();
  const published = publishedText ? range(publishedText, raw, 'published') : undefined;
  if (published && !published.ok) return published;
  if (hostIp !== undefined && hostIp !== '' && !isIp(hostIp))
    return bad(`port "${raw}": "${hostIp}" is not an IP address`);
  return expand(
    target.value,
    published?.value,
    protocol,
    hostIp ? 'host' : 'ingress',
    hostIp || undefined,
    raw,
  );
}

function parseLong(v: Record<string, unknown>): Parsed<PortSpec[]> {
  const target = range(String(v.target ?? ''), JSON.stringify(v.target ?? null), 'target');
  if (v.target === undefined) return bad('a port in long syntax needs target:');
  if (!target.ok) return target;
  const published =
    v.published === undefined || v.published === null
      ? undefined
      : range(String(v.published), String(v.published), 'published');
  if (published && !published.ok) return published;
  const protocol = String(v.protocol ?? 'tcp').toLowerCase();
  if (!PROTOCOLS.has(protocol)) return bad(`protocol "${protocol}" is not supported (use tcp or udp)`);
  const mode = v.mode ?? 'ingress';
  if (mode !== 'ingress' && mode !== 'host') return bad(`port mode ${show(mode)}: use ingress or host`);
  const hostIp = v.host_ip === undefined || v.host_ip === null ? undefined : String(v.host_ip);
  if (hostIp !== undefined && !isIp(hostIp)) return bad(`host_ip "${hostIp}" is not an IP address`);
  if (hostIp !== undefined && mode === 'ingress')
    return bad('host_ip needs mode: host (the ingress routing mesh listens on every address)');
  return expand(
    target.value,
    published?.value,
    protocol as Protocol,
    mode,
    hostIp,
    `target ${String(v.target)}`,
  );
}

function expand(
  target: [number, number],
  published: [number, number] | undefined,
  protocol: Protocol,
  mode: 'ingress' | 'host',
  hostIp: string | undefined,
  raw: string,
): Parsed<PortSpec[]> {
  const n = target[1] - target[0] + 1;
  if (published && published[1] - published[0] + 1 !== n) {
    return bad(`port "${raw}": the published range and the target range must have the same length`);
  }
  const out: PortSpec[] = [];
  for (let i = 0; i < n; i++) {
    const p: PortSpec = { target: target[0] + i, protocol, mode };
    if (published) p.published = published[0] + i;
    if (hostIp) p.hostIp = hostIp;
    out.push(p);
  }
  return ok(out);
}

function range(text: string, raw: string, what: string): Parsed<[number, number]> {
  const m = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(text);
  if (!m) return bad(`port "${raw}": ${what} "${text}" is not a port number or range`);
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (a < 1 || b > 65535 || b < a) return bad(`port "${raw}": ${what} ${text} is out of range 1-65535`);
  return ok([a, b]);
}

export function isIp(s: string): boolean {
  return isIpv4(s) || (/^[0-9a-fA-F:.]+$/.test(s) && s.includes(':') && s.split('::').length <= 2);
}

export function isIpv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}
function bad<T>(message: string): Parsed<T> {
  return { ok: false, message };
}
