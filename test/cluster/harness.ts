// Cluster harness: N simulated hosts, each a network namespace with its own state dir, wired by veth pairs to
// a bridge that plays the switch inside its own "fabric" namespace (never in the machine's own namespace).
// Every name carries a per-run prefix so teardown and sweepStale() can always remove everything.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freeSubnet24 } from '@tsstack/testkit';

export const CLUSTER_PREFIX = 'tsc';

export interface ClusterHost {
  name: string;
  netns: string;
  address: string;
  stateDir: string;
}

export interface Cluster {
  prefix: string;
  subnet: string;
  fabric: string;
  hosts: ClusterHost[];
  cutLink(host: ClusterHost): void;
  restoreLink(host: ClusterHost): void;
  exec(host: ClusterHost, cmd: string[]): string;
  teardown(): void;
}

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8' });
}

function tryIp(...args: string[]): void {
  try {
    ip(...args);
  } catch {
    // already gone
  }
}

/** Builds the fabric and `count` hosts; on any failure everything built so far is removed. */
export function createCluster(count: number): Cluster {
  const prefix = `${CLUSTER_PREFIX}${randomBytes(2).toString('hex')}`;
  const subnet = freeSubnet24();
  const base = subnet.split('.').slice(0, 3).join('.');
  const fabric = `${prefix}-fab`;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  const hosts: ClusterHost[] = [];
  const teardown = (): void => removeByPrefix(prefix, root);
  try {
    ip('netns', 'add', fabric);
    ip('-n', fabric, 'link', 'set', 'lo', 'up');
    ip('-n', fabric, 'link', 'add', 'sw0', 'type', 'bridge');
    ip('-n', fabric, 'link', 'set', 'sw0', 'up');
    for (let i = 0; i < count; i++) {
      const name = `h${i + 1}`;
      const netns = `${prefix}-${name}`;
      const address = `${base}.${i + 10}`;
      const stateDir = path.join(root, name);
      fs.mkdirSync(stateDir, { recursive: true });
      ip('netns', 'add', netns);
      ip('-n', netns, 'link', 'set', 'lo', 'up');
      // veth created inside the fabric namespace, host end moved into the host namespace
      ip('-n', fabric, 'link', 'add', `p-${name}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns);
      ip('-n', fabric, 'link', 'set', `p-${name}`, 'master', 'sw0', 'up');
      ip('-n', netns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
      ip('-n', netns, 'link', 'set', 'eth0', 'up');
      hosts.push({ name, netns, address, stateDir });
    }
  } catch (err) {
    teardown();
    throw err;
  }
  return {
    prefix,
    subnet,
    fabric,
    hosts,
    cutLink: (h) => ip('-n', fabric, 'link', 'set', `p-${h.name}`, 'down'),
    restoreLink: (h) => ip('-n', fabric, 'link', 'set', `p-${h.name}`, 'up'),
    exec: (h, cmd) => execFileSync('ip', ['netns', 'exec', h.netns, ...cmd], { encoding: 'utf8' }),
    teardown,
  };
}

function pidsIn(netns: string): number[] {
  try {
    return ip('netns', 'pids', netns).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function removeByPrefix(prefix: string, root?: string): void {
  const names = listNetns().filter((n) => n.startsWith(prefix));
  for (const ns of names) {
    for (const pid of pidsIn(ns)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // exited
      }
    }
  }
  for (const ns of names) tryIp('netns', 'del', ns);
  const dirs = root
    ? [root]
    : fs
        .readdirSync(os.tmpdir())
        .filter((d) => d.startsWith(prefix))
        .map((d) => path.join(os.tmpdir(), d));
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
}

export function listNetns(): string[] {
  return ip('netns', 'list')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ')[0]);
}

/** Removes whatever a crashed previous run left behind (namespaces, processes, state dirs). */
export function sweepStale(): void {
  removeByPrefix(CLUSTER_PREFIX);
}
