// IPv4 arithmetic for IPAM and rule rendering: addresses as unsigned 32-bit integers, CIDRs as {base, len}.
// Pure: no I/O.

export interface Cidr {
  base: number; // network address (host bits zero)
  len: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function isIpv4(s: string): boolean {
  const m = IPV4.exec(s);
  return !!m && m.slice(1).every((o) => Number(o) <= 255);
}

export function ipToInt(s: string): number {
  if (!isIpv4(s)) throw new TypeError(`not an IPv4 address: ${s}`);
  return s.split('.').reduce((n, o) => n * 256 + Number(o), 0) >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function maskOf(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/** Parses "a.b.c.d/len"; null when malformed or when host bits are set (strict, as Compose subnets are). */
export function parseCidr(s: string, strict = true): Cidr | null {
  const [ip, lenText, extra] = s.split('/');
  if (extra !== undefined || lenText === undefined || !/^\d{1,2}$/.test(lenText) || !isIpv4(ip)) return null;
  const len = Number(lenText);
  if (len > 32) return null;
  const n = ipToInt(ip);
  const base = (n & maskOf(len)) >>> 0;
  if (strict && base !== n) return null;
  return { base, len };
}

export function formatCidr(c: Cidr): string {
  return `${intToIp(c.base)}/${c.len}`;
}

export function cidrSize(c: Cidr): number {
  return 2 ** (32 - c.len);
}

export function cidrContains(c: Cidr, ip: number): boolean {
  return (ip & maskOf(c.len)) >>> 0 === c.base;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  const len = Math.min(a.len, b.len);
  return (a.base & maskOf(len)) >>> 0 === (b.base & maskOf(len)) >>> 0;
}

/** True when `inner` lies wholly inside `outer`. */
export function cidrWithin(inner: Cidr, outer: Cidr): boolean {
  return inner.len >= outer.len && cidrContains(outer, inner.base);
}
