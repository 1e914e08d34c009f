// Helpers of the network integration tests: "containers" are task namespaces with busybox processes run
// through nsenter; every process started here is tracked and killed by killAll(), also on failure.
import { type ChildProcess, execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { netlink, type NetworkManager } from '@tsstack/network';
import { cleanupNetns, createNetns, freeSubnet24, requireCommand, requireRoot } from '@tsstack/testkit';

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();

/**
 * Runs a command inside a network namespace (by path) and returns stdout; rejects on a non-zero exit.
 * Asynchronous on purpose: the embedded DNS under test answers from this very process's event loop.
 */
export function execIn(netnsPath: string, args: string[], timeoutMs = 8000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'nsenter',
      [`--net=${netnsPath}`, ...args],
      { encoding: 'utf8', timeout: timeoutMs },
      (err, stdout) => (err ? reject(err) : resolve(stdout)),
    );
  });
}

/** True when the command exits 0 inside the namespace. */
export async function succeedsIn(netnsPath: string, args: string[], timeoutMs = 8000): Promise<boolean> {
  return execIn(netnsPath, args, timeoutMs).then(
    () => true,
    () => false,
  );
}

/** Runs a command with `resolvConf` bind-mounted at /etc/resolv.conf (private mount namespace). */
export function execWithResolv(
  netnsPath: string,
  resolvConf: string,
  command: string,
  timeoutMs = 8000,
): Promise<string> {
  return execIn(
    netnsPath,
    ['unshare', '-m', 'sh', '-c', `mount --bind ${resolvConf} /etc/resolv.conf && ${command}`],
    timeoutMs,
  );
}

/** Starts a long-running process inside a namespace (killed by killAll). */
export function spawnIn(netnsPath: string, args: string[]): ChildProcess {
  // Its own process group, so killAll() also reaches what a shell started.
  const child = spawn('nsenter', [`--net=${netnsPath}`, ...args], { stdio: 'ignore', detached: true });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

/**
 * A busybox httpd on port 80 whose / says `name` and whose /cgi-bin/ip prints the client address, so tests
 * can tell which replica answered and which source address reached it.
 */
export function httpdIn(netnsPath: string, name: string, port = 80): ChildProcess {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsn-www-'));
  tempDirs.add(root);
  fs.writeFileSync(path.join(root, 'index.html'), `${name}\n`);
  fs.mkdirSync(path.join(root, 'cgi-bin'));
  fs.writeFileSync(
    path.join(root, 'cgi-bin', 'ip'),
    '#!/bin/sh\na=${REMOTE_ADDR#[::ffff:}\nprintf "Content-Type: text/plain\\r\\n\\r\\n${a%]}\\n"\n',
    {
      mode: 0o755,
    },
  );
  return spawnIn(netnsPath, ['busybox', 'httpd', '-f', '-p', String(port), '-h', root]);
}

/** busybox wget of a URL from inside a namespace; undefined when it fails. (busybox 1.35's `wget -T`
 * crashes, so the time limit is coreutils' timeout.) */
export async function wgetIn(netnsPath: string, url: string, timeoutS = 2): Promise<string | undefined> {
  try {
    return (
      await execIn(netnsPath, ['timeout', String(timeoutS), 'busybox', 'wget', '-q', '-O', '-', url])
    ).trim();
  } catch {
    return undefined;
  }
}

/** A-record addresses busybox nslookup gets for `name` from `server`; [] when the lookup fails. */
export async function nslookupIn(netnsPath: string, name: string, server: string): Promise<string[]> {
  try {
    const out = await execIn(netnsPath, ['timeout', '5', 'busybox', 'nslookup', name, server]);
    const answer = out
      .split(/\n\s*\n/)
      .slice(1)
      .join('\n');
    return [
      ...new Set([...answer.matchAll(/Address(?: \d+)?:\s+(\d+\.\d+\.\d+\.\d+)/g)].map((m) => m[1])),
    ].sort();
  } catch {
    return [];
  }
}

export async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Kills every process started by these helpers and removes their files. */
export function killAll(): void {
  for (const c of children) {
    try {
      if (c.pid) process.kill(-c.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

/** Host-side links of a namespace as `ip` sees them (an independent witness for the cleanup assertions). */
export function linkNames(netnsPath: string): string[] {
  const out = execFileSync('nsenter', [`--net=${netnsPath}`, 'ip', '-j', 'link', 'show'], {
    encoding: 'utf8',
  });
  return (JSON.parse(out) as Array<{ ifname: string }>).map((l) => l.ifname).sort();
}

/** Hands out /24s that overlap neither the host's routes nor any handed out before by the same picker. */
export function subnetPicker(): () => string {
  const given: string[] = [];
  return () => {
    const s = freeSubnet24(given);
    given.push(s);
    return s;
  };
}

/** After a manager's tests: reconcile it to nothing and close it, then remove its namespaces, dirs and the test
 * namespaces (cleanupNetns) and its processes (killAll). */
export async function closeManager(
  m: NetworkManager | undefined,
  netnsDir?: string,
  stateDir?: string,
): Promise<void> {
  // prettier-ignore
  killAll();
  await m?.reconcile({ tasks: [], networks: [] }).catch(() => undefined);
  await m?.close();
  await removeNetnsDir(netnsDir);
  cleanupNetns();
  if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
}

/** Removes a namespace directory made for a manager: every namespace left in it, its bind mount, the dir. */
export async function removeNetnsDir(dir: string | undefined): Promise<void> {
  if (!dir || !fs.existsSync(dir)) return;
  for (const f of fs.readdirSync(dir)) await netlink.netnsRemove(path.join(dir, f)).catch(() => undefined);
  spawnSync('umount', ['-l', dir]);
  fs.rmSync(dir, { recursive: true, force: true });
}

export function netnsPathOf(name: string): string {
  return `/run/netns/${name}`;
}

/** Connects a host namespace to an "outside" namespace through a veth on `subnet` (.1 host, .2 outside). */
export function uplink(hostNs: string, outsideNs: string, subnet: string): { host: string; outside: string } {
  const base = subnet.split('/')[0].split('.').slice(0, 3).join('.');
  const host = `${base}.1`;
  const outside = `${base}.2`;
  const ip = (...a: string[]) => execFileSync('ip', a);
  ip('-n', hostNs, 'link', 'add', 'up0', 'type', 'veth', 'peer', 'name', 'up1', 'netns', outsideNs);
  ip('-n', hostNs, 'addr', 'add', `${host}/24`, 'dev', 'up0');
  ip('-n', hostNs, 'link', 'set', 'up0', 'up');
  ip('-n', outsideNs, 'addr', 'add', `${outside}/24`, 'dev', 'up1');
  ip('-n', outsideNs, 'link', 'set', 'up1', 'up');
  ip('-n', hostNs, 'route', 'add', 'default', 'via', outside);
  return { host, outside };
}

/**
 * A simulated host and an "outside" namespace joined by uplink() on `subnet`, after checking the tools the
 * network tests use (nft, busybox, nsenter). Both namespaces go with cleanupNetns().
 */
export function hostWithOutside(
  hostPrefix: string,
  outsidePrefix: string,
  subnet: string,
): { host: string; outside: string; up: { host: string; outside: string } } {
  requireRoot();
  requireCommand('nft', 'nftables');
  requireCommand('busybox', 'busybox-static');
  requireCommand('nsenter', 'util-linux');
  const host = netnsPathOf(createNetns(hostPrefix));
  const outside = netnsPathOf(createNetns(outsidePrefix));
  return { host, outside, up: uplink(path.basename(host), path.basename(outside), subnet) };
}

/** A UDP socket bound inside a namespace (a "container" end for UDP tests); close it when done. */
export async function udpSocketIn(netnsPath: string, address: string, port: number): Promise<dgram.Socket> {
  const fd = await netlink.bindSocket(netnsPath, 'udp', address, port);
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => s.bind({ fd }, resolve));
  return s;
}
