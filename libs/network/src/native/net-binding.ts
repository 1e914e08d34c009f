// Typed loader of native/build/Release/tsstack_net.node (native/src/net). Validation and defaults live in the
// callers; this file only types the four functions and turns native errors into NetworkSystemError.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NetworkSystemError } from '../errors';

interface NetnsScoped {
  /** Network namespace (bind-mount path) the op runs in; the caller's when absent. */
  netns?: string;
  ignoreExisting?: boolean;
  ignoreMissing?: boolean;
}

export type NlOp = NetnsScoped &
  (
    | {
        op: 'linkAdd';
        name: string;
        kind: 'bridge' | 'veth' | 'vxlan' | 'dummy';
        mtu?: number;
        mac?: string;
        master?: string;
        up?: boolean;
        /** veth: the peer's name, namespace (created there directly), MAC and MTU. */
        peer?: string;
        peerNetns?: string;
        peerMac?: string;
        peerMtu?: number;
        /** vxlan: VNI, local underlay address, UDP port (4789). Learning is off, ARP proxy on. */
        vni?: number;
        local?: string;
        dev?: string;
        port?: number;
      }
    | {
        op: 'linkSet';
        name: string;
        up?: boolean;
        mtu?: number;
        mac?: string;
        /** '-' removes the master. */
        master?: string;
        newName?: string;
        moveNetns?: string;
        /** Bridge port hairpin mode (a frame may leave by the port it came in on). */
        hairpin?: boolean;
      }
    | { op: 'linkDel'; name: string }
    | { op: 'addrAdd' | 'addrDel'; name: string; address: string; prefix: number }
    | { op: 'routeAdd' | 'routeDel'; dst: string; gateway?: string; name?: string }
    | { op: 'neighSet' | 'neighDel'; name: string; address: string; mac?: string }
    | { op: 'fdbSet' | 'fdbDel'; name: string; mac: string; address?: string }
    | { op: 'sysctl'; key: string; value: string }
  );

export interface LinkRow {
  index: string;
  name: string;
  kind?: string;
  mtu?: string;
  master?: string;
  mac?: string;
  up: '0' | '1';
}
export interface AddrRow {
  index: string;
  address: string;
  prefix: string;
  dev?: string;
}
export interface RouteRow {
  dst: string;
  gateway?: string;
  index?: string;
  scope: string;
}
export interface NeighRow {
  index: string;
  state: string;
  flags: string;
  mac?: string;
  address?: string;
  master?: string;
}

interface NetAddon {
  apply(ops: NlOp[]): Promise<void>;
  dump(netns: string | undefined, kind: 'links'): Promise<LinkRow[]>;
  dump(netns: string | undefined, kind: 'addrs'): Promise<AddrRow[]>;
  dump(netns: string | undefined, kind: 'routes'): Promise<RouteRow[]>;
  dump(netns: string | undefined, kind: 'neigh' | 'fdb'): Promise<NeighRow[]>;
  netnsCreate(path: string): Promise<void>;
  netnsRemove(path: string): Promise<void>;
  bindSocket(netns: string | undefined, proto: 'udp' | 'tcp', address: string, port: number): Promise<number>;
  dnsProbe(
    netns: string | undefined,
    server: string,
    port: number,
    name: string,
    count: number,
  ): Promise<{ ms: Float64Array; answers: number }>;
  dnsFastCreate(onMiss: (packet: Buffer, ip: string, port: number, fd: number) => void): number;
  dnsFastServe(handle: number, fd: number): void;
  dnsFastUnserve(handle: number, fd: number): void;
  dnsFastSetNetwork(handle: number, network: string, entries: Array<[string, Buffer, boolean]>): void;
  dnsFastRemoveNetwork(handle: number, network: string): void;
  dnsFastSetClients(handle: number, clients: Array<[string, string[]]>): void;
  dnsFastDestroy(handle: number): void;
  dnsFastSend(fd: number, packet: Buffer, ip: string, port: number): boolean;
}

let addon: NetAddon | undefined;

function locate(): string {
  const rel = path.join('native', 'build', 'Release', 'tsstack_net.node');
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, rel);
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  throw new NetworkSystemError(`${rel} not found: build it with \`npm run build:native\``, {
    code: 'ENOADDON',
  });
}

function load(): NetAddon {
  if (!addon) addon = require(locate()) as NetAddon; // eslint-disable-line @typescript-eslint/no-require-imports
  return addon;
}

function wrap(e: unknown): never {
  const err = e as Error & { code?: string; errno?: number; syscall?: string };
  throw new NetworkSystemError(err.message, {
    code: err.code,
    errno: err.errno,
    syscall: err.syscall,
    cause: e,
  });
}

/**
 * The embedded DNS fast path (native/src/net/dns-fast.h): a native thread answers names it holds records for
 * straight from the UDP sockets and hands the rest to `onMiss`. Synchronous calls.
 */
export const dnsFast = {
  create: (onMiss: (packet: Buffer, ip: string, port: number, fd: number) => void): number =>
    load().dnsFastCreate(onMiss),
  serve: (h: number, fd: number): void => load().dnsFastServe(h, fd),
  unserve: (h: number, fd: number): void => load().dnsFastUnserve(h, fd),
  setNetwork: (h: number, network: string, entries: Array<[string, Buffer, boolean]>): void =>
    load().dnsFastSetNetwork(h, network, entries),
  removeNetwork: (h: number, network: string): void => load().dnsFastRemoveNetwork(h, network),
  setClients: (h: number, clients: Array<[string, string[]]>): void => load().dnsFastSetClients(h, clients),
  destroy: (h: number): void => load().dnsFastDestroy(h),
  send: (fd: number, packet: Buffer, ip: string, port: number): boolean =>
    load().dnsFastSend(fd, packet, ip, port),
};

/** The netlink binding, with errors as NetworkSystemError. */
export const netlink = {
  apply: (ops: NlOp[]): Promise<void> => (ops.length ? load().apply(ops).catch(wrap) : Promise.resolve()),
  links: (netns?: string): Promise<LinkRow[]> => load().dump(netns, 'links').catch(wrap),
  addrs: (netns?: string): Promise<AddrRow[]> => load().dump(netns, 'addrs').catch(wrap),
  routes: (netns?: string): Promise<RouteRow[]> => load().dump(netns, 'routes').catch(wrap),
  neigh: (netns?: string): Promise<NeighRow[]> => load().dump(netns, 'neigh').catch(wrap),
  fdb: (netns?: string): Promise<NeighRow[]> => load().dump(netns, 'fdb').catch(wrap),
  netnsCreate: (p: string): Promise<void> => load().netnsCreate(p).catch(wrap),
  netnsRemove: (p: string): Promise<void> => load().netnsRemove(p).catch(wrap),
  /** A bound (and, for tcp, not yet listening) non-blocking socket made inside `netns`; returns its fd. */
  bindSocket: (
    netns: string | undefined,
    proto: 'udp' | 'tcp',
    address: string,
    port: number,
  ): Promise<number> => load().bindSocket(netns, proto, address, port).catch(wrap),
  /**
   * Round trips (ms) of `count` blocking A queries for `name` sent one at a time from inside `netns`, as a
   * libc resolver in a container would; `answers` is the answer count of the last reply.
   */
  dnsProbe: (
    netns: string | undefined,
    server: string,
    name: string,
    count: number,
    port = 53,
  ): Promise<{ ms: number[]; answers: number }> =>
    load()
      .dnsProbe(netns, server, port, name, count)
      .then((r) => ({ ms: Array.from(r.ms), answers: r.answers }))
      .catch(wrap),
};
