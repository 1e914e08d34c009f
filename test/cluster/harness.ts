// Cluster harness: N simulated hosts, each a network namespace with its own state dir, wired by veth pairs to
// a bridge that plays the switch inside its own "fabric" namespace (never in the machine's own namespace).
// Every name carries a per-run prefix so teardown and sweepStale() can always remove everything.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
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

export interface CreateClusterOptions {
  /** Also build a control host `<prefix>-ctl` at `.2` on the switch for Redis and the controllers. */
  control?: boolean;
}

export interface Cluster {
  prefix: string;
  subnet: string;
  fabric: string;
  hosts: ClusterHost[];
  /** The control host (Redis, controllers, clients), present with `{ control: true }`. */
  control?: ClusterHost;
  /** The run's directory under /tmp holding every state dir. */
  root: string;
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
export function createCluster(count: number, opts: CreateClusterOptions = {}): Cluster {
  const prefix = `${CLUSTER_PREFIX}${randomBytes(2).toString('hex')}`;
  const subnet = freeSubnet24();
  const base = subnet.split('.').slice(0, 3).join('.');
  const fabric = `${prefix}-fab`;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  const hosts: ClusterHost[] = [];
  let control: ClusterHost | undefined;
  const teardown = (): void => removeByPrefix(prefix, root);
  const addHost = (name: string, address: string): ClusterHost => {
    const netns = `${prefix}-${name}`;
    const stateDir = path.join(root, name);
    fs.mkdirSync(stateDir, { recursive: true });
    ip('netns', 'add', netns);
    ip('-n', netns, 'link', 'set', 'lo', 'up');
    // veth created inside the fabric namespace, host end moved into the host namespace
    ip('-n', fabric, 'link', 'add', `p-${name}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns);
    ip('-n', fabric, 'link', 'set', `p-${name}`, 'master', 'sw0', 'up');
    ip('-n', netns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
    ip('-n', netns, 'link', 'set', 'eth0', 'up');
    return { name, netns, address, stateDir };
  };
  try {
    ip('netns', 'add', fabric);
    ip('-n', fabric, 'link', 'set', 'lo', 'up');
    ip('-n', fabric, 'link', 'add', 'sw0', 'type', 'bridge');
    ip('-n', fabric, 'link', 'set', 'sw0', 'up');
    if (opts.control) control = addHost('ctl', `${base}.2`);
    for (let i = 0; i < count; i++) hosts.push(addHost(`h${i + 1}`, `${base}.${i + 10}`));
  } catch (err) {
    teardown();
    throw err;
  }
  return {
    prefix,
    subnet,
    fabric,
    hosts,
    control,
    root,
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

/** A run's names: `<prefix>-...` for one run, or any `tsc<4 hex>-...` (a crashed run) for the sweep. */
function ownedBy(prefix: string): (name: string) => boolean {
  const re =
    prefix === CLUSTER_PREFIX ? new RegExp(`^${CLUSTER_PREFIX}[0-9a-f]{4}-`) : new RegExp(`^${prefix}-`);
  return (name) => re.test(name);
}

function removeByPrefix(prefix: string, root?: string): void {
  const owned = ownedBy(prefix);
  const names = listNetns().filter(owned);
  for (const ns of names) {
    for (const pid of pidsIn(ns)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // exited
      }
    }
  }
  killCgroups((g) => g.startsWith('tsstack-') && owned(g.slice('tsstack-'.length)));
  const dirs = root
    ? [root]
    : fs
        .readdirSync(os.tmpdir())
        .filter(owned)
        .map((d) => path.join(os.tmpdir(), d));
  // Runtime state of each agent lives at /run/tsstack/rt-<hash of its state dir> (libs/runtime mounts there).
  const runDirs = dirs.flatMap((d) =>
    (fs.statSync(d, { throwIfNoEntry: false })?.isDirectory() ? fs.readdirSync(d) : []).flatMap((h) => {
      const rt = `/run/tsstack/rt-${createHash('sha256')
        .update(path.join(d, h, 'agent'))
        .digest('hex')
        .slice(0, 12)}`;
      return [rt, `${rt}-netns`];
    }),
  );
  unmountUnder([...dirs, ...runDirs]);
  for (const ns of names) tryIp('netns', 'del', ns);
  for (const d of [...dirs, ...runDirs]) fs.rmSync(d, { recursive: true, force: true });
}

/** SIGKILLs every process in the matching cgroups at the top of each v1 hierarchy, then removes them. */
function killCgroups(match: (group: string) => boolean): void {
  const base = '/sys/fs/cgroup';
  const groups: string[] = [];
  for (const ctrl of fs.existsSync(base) ? fs.readdirSync(base) : []) {
    const dir = path.join(base, ctrl);
    let entries: string[] = [];
    try {
      entries = fs.readdirSync(dir).filter(match);
    } catch {
      continue;
    }
    for (const e of entries) groups.push(...walk(path.join(dir, e)));
  }
  for (let round = 0; round < 20; round++) {
    let alive = 0;
    for (const g of groups) {
      let pids: string[] = [];
      try {
        pids = fs.readFileSync(path.join(g, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
      } catch {
        continue;
      }
      for (const pid of pids) {
        alive++;
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // exited
        }
      }
    }
    if (alive === 0) break;
    execFileSync('sleep', ['0.1']);
  }
  // deepest first
  for (const g of groups.sort((a, b) => b.length - a.length)) {
    try {
      fs.rmdirSync(g);
    } catch {
      // busy or gone
    }
  }
}

function walk(dir: string): string[] {
  const out = [dir];
  try {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) out.push(...walk(path.join(dir, e.name)));
    }
  } catch {
    // gone
  }
  return out;
}

/** Lazily unmounts every mount at or under one of `roots`, deepest first. */
function unmountUnder(roots: string[]): void {
  if (roots.length === 0) return;
  const points = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => !!m && roots.some((r) => m === r || m.startsWith(`${r}/`)))
    .sort((a, b) => b.length - a.length);
  for (const m of points) {
    try {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
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
