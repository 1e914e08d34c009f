// The real tsstack processes on a simulated cluster: a redis-server (TCP, AOF fsync always) and controller(s)
// on the control host, one `tsstack node-agent` per host with its own state dir, image root and cgroup parent.
// Handles kill/restart each of them; the CLI and curl run inside the control host's namespace (the switch is
// not reachable from the machine's own namespace). teardown() always leaves nothing behind.
import { execFileSync, spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createCluster, type Cluster, type ClusterHost } from './harness';

/** The checkout (this file runs from test/cluster under jest and from dist/test/cluster in bench). */
export const REPO_ROOT = ((): string => {
  let d = __dirname;
  while (!fs.existsSync(path.join(d, 'bin', 'tsstack.js')) && path.dirname(d) !== d) d = path.dirname(d);
  return d;
})();
/** Plain-JS clients run with node inside the control host. */
export const CLIENTS_DIR = path.join(REPO_ROOT, 'test', 'cluster', 'clients');
export const BIN = path.join(REPO_ROOT, 'bin', 'tsstack.js');
const REDIS_PORT = 6379;

export interface Proc {
  name: string;
  child?: ChildProcess;
  log: string;
}

export interface ControlPlane {
  cluster: Cluster;
  control: ClusterHost;
  redisUrl: string;
  controllerUrls: string[];
  token: string;
  joinToken: string;
  /** Redis */
  startRedis(): Promise<void>;
  killRedis(): void;
  /** Controller i (0-based); listens on the control host at port 7700+i. */
  startController(i: number): Promise<void>;
  killController(i: number, signal?: NodeJS.Signals): Promise<void>;
  /** Index of the controller that holds the reconcile lease now (from /health), or -1. */
  leader(): number;
  /** Agent of a host, joined to controller `ctl` (default 0). */
  startAgent(host: ClusterHost, ctl?: number): Promise<void>;
  killAgent(host: ClusterHost, signal?: NodeJS.Signals): Promise<void>;
  /** The real CLI inside the control host, talking to controller `ctl`. */
  cli(args: string[], opts?: { ctl?: number; timeoutMs?: number; input?: string }): SpawnSyncReturns<string>;
  /** JSON REST call through curl inside the control host. */
  api<T = unknown>(method: string, urlPath: string, body?: unknown, ctl?: number): T;
  /** Runs `node <script> args` inside the control host; stdout kept for the caller. */
  spawnClient(script: string, args: string[]): ChildProcess;
  logs(): string;
  teardown(): Promise<void>;
}

function wait(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function until<T>(
  what: string,
  fn: () => T | undefined | false,
  timeoutMs = 60_000,
  stepMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    await wait(stepMs);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`,
  );
}

function startProc(ns: string, log: string, argv: string[]): ChildProcess {
  const fd = fs.openSync(log, 'a');
  try {
    const child = spawn('nsenter', [`--net=/run/netns/${ns}`, ...argv], {
      stdio: ['ignore', fd, fd],
      env: { ...process.env, TSSTACK_LOG_LEVEL: process.env.TSSTACK_LOG_LEVEL ?? 'warn' },
    });
    child.on('error', () => undefined);
    return child;
  } finally {
    fs.closeSync(fd);
  }
}

async function stopProc(p: Proc | undefined, signal: NodeJS.Signals, timeoutMs = 10_000): Promise<void> {
  const child = p?.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(t);
  p.child = undefined;
}

/** Imports the example images (examples/build-images.sh) into a host's image root. */
export function importImages(imageRoot: string): void {
  const r = spawnSync('bash', [path.join(REPO_ROOT, 'examples', 'build-images.sh')], {
    env: { ...process.env, TSSTACK_IMAGE_ROOT: imageRoot },
    encoding: 'utf8',
    cwd: REPO_ROOT,
  });
  if (r.status !== 0) throw new Error(`build-images.sh failed for ${imageRoot}: ${r.stderr}`);
  const w = spawnSync('bash', [path.join(REPO_ROOT, 'examples', 'webapp', 'build-images.sh')], {
    env: { ...process.env, TSSTACK_IMAGE_ROOT: imageRoot },
    encoding: 'utf8',
    cwd: REPO_ROOT,
  });
  if (w.status !== 0) throw new Error(`webapp/build-images.sh failed for ${imageRoot}: ${w.stderr}`);
}

/** A cluster of `hosts` hosts plus a control host with Redis, `controllers` controllers and every agent joined. */
export async function startControlPlane(opts: {
  hosts: number;
  controllers?: number;
  images?: boolean;
}): Promise<ControlPlane> {
  const cluster = createCluster(opts.hosts, { control: true });
  const control = cluster.control as ClusterHost;
  const procs = new Map<string, Proc>();
  const nCtl = opts.controllers ?? 1;
  const controllerUrls = Array.from({ length: nCtl }, (_, i) => `http://${control.address}:${7700 + i}`);
  const redisDir = path.join(control.stateDir, 'redis');
  const redisUrl = `redis://127.0.0.1:${REDIS_PORT}`;
  let token = '';
  let joinToken = '';
  const agentCtl = new Map<string, number>();

  const proc = (name: string): Proc => {
    let p = procs.get(name);
    if (!p) {
      p = { name, log: path.join(cluster.root, `${name}.log`) };
      procs.set(name, p);
    }
    return p;
  };
  const inCtl = (argv: string[], input?: string, timeoutMs = 30_000): SpawnSyncReturns<string> =>
    spawnSync('nsenter', [`--net=/run/netns/${control.netns}`, ...argv], {
      encoding: 'utf8',
      input,
      timeout: timeoutMs,
    });

  const cp: ControlPlane = {
    cluster,
    control,
    redisUrl,
    controllerUrls,
    get token() {
      return token;
    },
    get joinToken() {
      return joinToken;
    },
    async startRedis() {
      fs.mkdirSync(redisDir, { recursive: true });
      const p = proc('redis');
      p.child = startProc(control.netns, p.log, [
        'redis-server', '--port', String(REDIS_PORT), '--bind', '127.0.0.1', '--dir', redisDir,
        '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--protected-mode', 'no',
      ]); // prettier-ignore
      await until(
        'redis to answer PING',
        () => inCtl(['redis-cli', '-p', String(REDIS_PORT), 'ping']).stdout.includes('PONG'),
        15_000,
        100,
      );
    },
    killRedis() {
      procs.get('redis')?.child?.kill('SIGKILL');
      proc('redis').child = undefined;
    },
    async startController(i) {
      const dataDir = path.join(control.stateDir, `controller${i}`);
      fs.mkdirSync(dataDir, { recursive: true });
      const p = proc(`controller${i}`);
      p.child = startProc(control.netns, p.log, [
        process.execPath, BIN, 'controller', '--listen', `${control.address}:${7700 + i}`, '--data-dir', dataDir, '--redis', redisUrl,
      ]); // prettier-ignore
      await until(
        `controller ${i} /health`,
        () => inCtl(['curl', '-sf', `${controllerUrls[i]}/health`]).status === 0,
        60_000,
        200,
      );
      token = fs.readFileSync(path.join(dataDir, 'controller', 'token'), 'utf8').trim();
      joinToken = fs.readFileSync(path.join(dataDir, 'controller', 'join-token'), 'utf8').trim();
    },
    async killController(i, signal = 'SIGKILL') {
      await stopProc(procs.get(`controller${i}`), signal);
    },
    leader() {
      for (let i = 0; i < nCtl; i++) {
        const r = inCtl(['curl', '-s', '-m', '2', `${controllerUrls[i]}/health`]);
        try {
          if ((JSON.parse(r.stdout) as { leader?: boolean }).leader) return i;
        } catch {
          // down
        }
      }
      return -1;
    },
    async startAgent(host, ctl) {
      const c = ctl ?? agentCtl.get(host.name) ?? 0;
      agentCtl.set(host.name, c);
      const imageRoot = path.join(host.stateDir, 'images');
      if (!fs.existsSync(imageRoot)) importImages(imageRoot);
      const p = proc(`agent-${host.name}`);
      p.child = startProc(host.netns, p.log, [
        process.execPath, BIN, 'node-agent', '--controller', controllerUrls[c], '--token', joinToken,
        '--state-dir', path.join(host.stateDir, 'agent'), '--name', host.name, '--address', host.address,
        '--labels', `host=${host.name}`, '--image-root', imageRoot, '--cgroup-parent', `/tsstack-${host.netns}`,
      ]); // prettier-ignore
      await until(
        `agent ${host.name} to join`,
        () => fs.readFileSync(p.log, 'utf8').includes('joined as'),
        60_000,
        200,
      );
    },
    async killAgent(host, signal = 'SIGKILL') {
      await stopProc(procs.get(`agent-${host.name}`), signal);
    },
    cli(args, o = {}) {
      const env = [
        `TSSTACK_HOST=${controllerUrls[o.ctl ?? 0]}`,
        `TSSTACK_TOKEN=${token}`,
        `TSSTACK_DATA_DIR=${control.stateDir}`,
      ];
      return spawnSync(
        'ip',
        ['netns', 'exec', control.netns, 'env', ...env, process.execPath, BIN, ...args],
        {
          encoding: 'utf8',
          cwd: REPO_ROOT,
          input: o.input,
          timeout: o.timeoutMs ?? 180_000,
        },
      );
    },
    api<T>(method: string, urlPath: string, body?: unknown, ctl?: number): T {
      // Without `ctl`, the first controller that accepts the connection answers (as a client given both).
      const order = ctl === undefined ? controllerUrls.map((_, i) => i) : [ctl];
      let lastErr = '';
      for (const i of order) {
        const argv = ['curl', '-sS', '-m', '20', '-X', method, '-H', `authorization: Bearer ${token}`, '-H', 'content-type: application/json']; // prettier-ignore
        if (body !== undefined) argv.push('--data-binary', '@-');
        argv.push('-w', '\n%{http_code}', `${controllerUrls[i]}${urlPath}`);
        const r = inCtl(argv, body === undefined ? undefined : JSON.stringify(body));
        const lines = r.stdout.trimEnd().split('\n');
        const code = Number(lines.pop());
        const text = lines.join('\n');
        if (r.status === 7) {
          lastErr = `${method} ${urlPath}: controller ${i} refused the connection`;
          continue;
        }
        if (r.status !== 0 || !(code >= 200 && code < 300)) {
          throw new Error(`${method} ${urlPath} -> ${code} ${text} ${r.stderr}`);
        }
        return (text ? JSON.parse(text) : undefined) as T;
      }
      throw new Error(lastErr);
    },
    spawnClient(script, args) {
      return spawn('nsenter', [`--net=/run/netns/${control.netns}`, process.execPath, script, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    },
    logs() {
      return [...procs.values()]
        .map((p) => {
          const text = fs.existsSync(p.log) ? fs.readFileSync(p.log, 'utf8') : '';
          return `==== ${p.name}\n${text.split('\n').slice(-40).join('\n')}`;
        })
        .join('\n');
    },
    async teardown() {
      // Stop agents first (containers keep running), then remove everything each one created.
      for (const h of cluster.hosts)
        await stopProc(procs.get(`agent-${h.name}`), 'SIGTERM', 5_000).catch(() => undefined);
      for (const h of cluster.hosts) {
        const stateDir = path.join(h.stateDir, 'agent');
        if (!fs.existsSync(stateDir)) continue;
        spawnSync('nsenter', [`--net=/run/netns/${h.netns}`, process.execPath, BIN, 'node-agent', '--cleanup', '--state-dir', stateDir, '--image-root', path.join(h.stateDir, 'images')], { encoding: 'utf8', timeout: 60_000 }); // prettier-ignore
      }
      for (let i = 0; i < nCtl; i++)
        await stopProc(procs.get(`controller${i}`), 'SIGTERM', 5_000).catch(() => undefined);
      await stopProc(procs.get('redis'), 'SIGKILL').catch(() => undefined);
      cluster.teardown();
    },
  };
  try {
    await cp.startRedis();
    for (let i = 0; i < nCtl; i++) await cp.startController(i);
    for (const h of cluster.hosts) await cp.startAgent(h, nCtl - 1);
  } catch (err) {
    const logs = cp.logs();
    await cp.teardown();
    throw new Error(`${(err as Error).message}\n${logs}`);
  }
  return cp;
}

/** Container processes of a host's agent state (for "no container restarted" checks). */
export function hostPids(host: ClusterHost): string {
  return execFileSync('ip', ['netns', 'pids', host.netns], { encoding: 'utf8' });
}
