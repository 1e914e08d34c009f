// Embedded DNS: one server per host namespace, listening on UDP and TCP port 53 of every address containers
// are told to use (each network's gateway on this node). UDP questions for names of ours are answered by a
// native thread from tables mirrored out of DnsNames (dns-fast); the rest, and TCP, are answered here. It answers the names DnsNames grants the asking
// container (known by its source address) and forwards every other question to the host's upstream
// resolvers, read from the host's resolv.conf. Sockets are made inside the host namespace by the native
// binding, so the agent can serve a namespace it does not live in (the simulated hosts of the tests).
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as dnsPacket from 'dns-packet';
import { dnsFast, netlink } from './native/net-binding';
import type { DnsNames } from './dns-names';
import {
  buildAnswer,
  buildAnswerFromRecords,
  RCODE_NXDOMAIN,
  readQuestion,
  TYPE_A,
  TYPE_ANY,
} from './dns-wire';

const RCODE_SERVFAIL = 2;
const FORWARD_TIMEOUT_MS = 3000;

/** Nameservers of a resolv.conf (the host's by default). */
export function readUpstreams(file = '/etc/resolv.conf'): string[] {
  try {
    return [...fs.readFileSync(file, 'utf8').matchAll(/^\s*nameserver\s+(\d+\.\d+\.\d+\.\d+)\s*$/gm)].map(
      (m) => m[1],
    );
  } catch {
    return [];
  }
}

export interface DnsServerOptions {
  names: DnsNames;
  upstreams: string[];
  /** Host network namespace to listen in; the agent's own when absent. */
  hostNetns?: string;
  port?: number;
}

interface Listener {
  udpFd: number;
  tcp: net.Server;
}

export class DnsServer {
  private readonly listeners = new Map<string, Listener>();
  private forwarder?: dgram.Socket;
  private readonly pending = new Map<number, (reply: Buffer | undefined) => void>();
  private nextId = 1;
  private readonly port: number;
  /** Handle of the native UDP responder (names of ours answered off the JS thread). */
  private fast?: number;
  private unsubscribe?: () => void;

  constructor(private readonly opts: DnsServerOptions) {
    this.port = opts.port ?? 53;
  }

  private fastHandle(): number {
    if (this.fast === undefined) {
      // A reply goes out only while its socket is still ours (a closed fd number may be reused).
      const send = (fd: number, r: Buffer, ip: string, port: number) => {
        if ([...this.listeners.values()].some((l) => l.udpFd === fd)) dnsFast.send(fd, r, ip, port);
      };
      const h = dnsFast.create((packet, ip, port, fd) => {
        const reply = this.answerLocal(packet, ip);
        if (!reply) return;
        if (Buffer.isBuffer(reply)) send(fd, reply, ip, port);
        else void (reply as Promise<Buffer>).then((r) => send(fd, r, ip, port));
      });
      this.fast = h;
      this.unsubscribe = this.opts.names.subscribe({
        setNetwork: (id, entries) => dnsFast.setNetwork(h, id, entries),
        removeNetwork: (id) => dnsFast.removeNetwork(h, id),
        setClients: (clients) => dnsFast.setClients(h, clients),
      });
    }
    return this.fast;
  }

  addresses(): string[] {
    return [...this.listeners.keys()];
  }

  /** Starts answering on `address` (UDP and TCP). Idempotent. */
  async listen(address: string): Promise<void> {
    if (this.listeners.has(address)) return;
    const udpFd = await netlink.bindSocket(this.opts.hostNetns, 'udp', address, this.port);
    const tcpFd = await netlink.bindSocket(this.opts.hostNetns, 'tcp', address, this.port);
    dnsFast.serve(this.fastHandle(), udpFd);
    const tcp = net.createServer((sock) => this.serveTcp(sock));
    tcp.on('error', () => undefined);
    await new Promise<void>((resolve) => tcp.listen({ fd: tcpFd }, resolve));
    this.listeners.set(address, { udpFd, tcp });
  }

  /** Stops answering on `address`. Safe to call twice. */
  async unlisten(address: string): Promise<void> {
    const l = this.listeners.get(address);
    if (!l) return;
    this.listeners.delete(address);
    if (this.fast !== undefined) dnsFast.unserve(this.fast, l.udpFd);
    await new Promise<void>((resolve) => l.tcp.close(() => resolve()));
  }

  async close(): Promise<void> {
    for (const a of [...this.listeners.keys()]) await this.unlisten(a);
    if (this.fast !== undefined) {
      this.unsubscribe?.();
      dnsFast.destroy(this.fast);
      this.fast = undefined;
    }
    this.forwarder?.close();
    this.forwarder = undefined;
    for (const done of this.pending.values()) done(undefined);
    this.pending.clear();
  }

  private serveTcp(sock: net.Socket): void {
    let buf = Buffer.alloc(0);
    sock.on('error', () => undefined);
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        void this.answer(msg, sock.remoteAddress?.replace(/^::ffff:/, '') ?? '').then((reply) => {
          if (!reply || sock.destroyed) return;
          const len = Buffer.alloc(2);
          len.writeUInt16BE(reply.length);
          sock.write(Buffer.concat([len, reply]));
        });
      }
    });
  }

  /** The reply to one query from `client`, or undefined when it cannot be parsed. */
  async answer(msg: Buffer, client: string): Promise<Buffer | undefined> {
    return this.answerLocal(msg, client);
  }

  /**
   * Answers names of ours synchronously (the hot path: no promise, no allocation beyond the reply) and
   * returns a promise only for questions forwarded upstream.
   */
  private answerLocal(msg: Buffer, client: string): Buffer | Promise<Buffer> | undefined {
    const wq = readQuestion(msg);
    if (wq) {
      const local = this.opts.names.resolve(client, wq.name);
      if (!local.known) return this.forward(msg, wq.id);
      const isA = wq.type === TYPE_A || wq.type === TYPE_ANY;
      if (!isA) return buildAnswer(msg, wq, [], false);
      const empty = local.addresses.length === 0;
      return local.records
        ? buildAnswerFromRecords(msg, wq, local.records, empty)
        : buildAnswer(msg, wq, local.addresses, empty);
    }
    return this.answerSlow(msg, client);
  }

  /** Queries the wire fast path does not handle, through dns-packet. */
  private answerSlow(msg: Buffer, client: string): Buffer | Promise<Buffer> | undefined {
    let query: dnsPacket.DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return undefined;
    }
    const q = query.questions?.[0];
    if (!q || query.type === 'response') return undefined;
    const local = this.opts.names.resolve(client, q.name);
    if (!local.known) return this.forward(msg, query.id ?? 0);
    const rd = (query.flags ?? 0) & dnsPacket.RECURSION_DESIRED;
    const isA = q.type === 'A' || (q.type as string) === 'ANY';
    const empty = local.addresses.length === 0;
    return dnsPacket.encode({
      type: 'response',
      id: query.id,
      flags:
        rd |
        dnsPacket.RECURSION_AVAILABLE |
        dnsPacket.AUTHORITATIVE_ANSWER |
        (empty && isA ? RCODE_NXDOMAIN : 0),
      questions: [q],
      answers: isA ? local.addresses.map((data) => ({ type: 'A' as const, name: q.name, ttl: 0, data })) : [],
    });
  }

  private async forwarderSocket(): Promise<dgram.Socket> {
    if (this.forwarder) return this.forwarder;
    const fd = await netlink.bindSocket(this.opts.hostNetns, 'udp', '0.0.0.0', 0);
    const s = dgram.createSocket('udp4');
    s.on('message', (reply) => {
      if (reply.length < 2) return;
      const done = this.pending.get(reply.readUInt16BE(0));
      done?.(reply);
    });
    s.on('error', () => undefined);
    await new Promise<void>((resolve) => s.bind({ fd }, resolve));
    if (this.forwarder) {
      s.close();
      return this.forwarder;
    }
    this.forwarder = s;
    return s;
  }

  private servfail(msg: Buffer, id: number): Buffer {
    const reply = Buffer.from(msg.subarray(0, Math.max(12, msg.length)));
    reply.writeUInt16BE(id, 0);
    reply[2] = (reply[2] | 0x80) & 0xff; // QR
    reply[3] = (reply[3] & 0xf0) | 0x80 | RCODE_SERVFAIL; // RA + SERVFAIL
    return reply;
  }

  /** Sends the query to each upstream in turn under a fresh id; SERVFAIL when none answers. */
  private async forward(msg: Buffer, id: number): Promise<Buffer> {
    if (!this.opts.upstreams.length) return this.servfail(msg, id);
    const sock = await this.forwarderSocket();
    for (const upstream of this.opts.upstreams) {
      const fwdId = this.nextId;
      this.nextId = (this.nextId % 0xffff) + 1;
      const out = Buffer.from(msg);
      out.writeUInt16BE(fwdId, 0);
      const reply = await new Promise<Buffer | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), FORWARD_TIMEOUT_MS);
        this.pending.set(fwdId, (r) => {
          clearTimeout(timer);
          resolve(r);
        });
        sock.send(out, 53, upstream, (err) => {
          if (err) resolve(undefined);
        });
      });
      this.pending.delete(fwdId);
      if (reply) {
        reply.writeUInt16BE(id, 0);
        return reply;
      }
    }
    return this.servfail(msg, id);
  }
}
