// bench:stack — the everyday workflow on one host with the embedded control plane running (controller, its
// redis-server, one node agent), the busybox image local, every service `sleep` with `init: true`:
//   up10_s       `tsstack up --wait` of a 10-service stack (the CLI as users run it)
//   create50_s   one service created with 50 replicas, until all run
//   scale100_s   that service scaled 50 -> 100, until all run
//   update100_s  a rolling update of the 100 tasks (parallelism 10, delay 0) until all are replaced and running
//   down_s       `tsstack down` of both stacks until no task is left
// Peers, measured on this machine kind for the same work (no Docker engine here to run side by side):
// docker-compose up of 10 services 3.6 s; Swarm 50 replicas 8-9 s, scale 50->100 7.6-9.7 s, rolling update
// of 100 tasks 28.6-30.4 s.
// Last stdout line: {"up10_s","create50_s","scale100_s","update100_s","down_s","agent_rss_mb","controller_rss_mb"}.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { busyboxImage, BUSYBOX_REFERENCE, requireRoot } from '@tsstack/testkit';
import { ApiClient } from '../apps/cli/src/client/api-client';
import { status, stopAll } from '../apps/cli/src/system/daemons';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'tsstack.js');
const BIG = Number(process.env.REPLICAS ?? 50);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function service(replicas: number, env: Record<string, string> = {}): Record<string, unknown> {
  return {
    image: BUSYBOX_REFERENCE,
    command: ['sleep', '3600'],
    init: true,
    environment: env,
    deploy: { replicas, update_config: { parallelism: 10, delay: '0s' } },
  };
}

/** The environments of this host's `sleep 3600` processes: proof that the tasks reported running are real. */
function sleepers(): string[][] {
  const out: string[][] = [];
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8') !== 'sleep\u00003600\u0000') continue;
      out.push(fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\u0000'));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

const rssMb = (pid: number | null): number => {
  if (!pid) return NaN;
  const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 102.4) / 10 : NaN;
};

async function main(): Promise<void> {
  requireRoot();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsstack-bench-stack-'));
  const env = {
    ...process.env,
    TSSTACK_DATA_DIR: dataDir,
    TSSTACK_IMAGE_ROOT: path.join(dataDir, 'images'),
    TSSTACK_EMBEDDED_ADDR: `127.0.0.1:${await freePort()}`,
  };
  const cli = (...args: string[]): void => {
    const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', cwd: dataDir });
    if (r.status !== 0)
      throw new Error(`tsstack ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
  };
  const file = (name: string, services: Record<string, unknown>): string => {
    const p = path.join(dataDir, `${name}.yml`);
    fs.writeFileSync(p, stringify({ name, services }));
    return p;
  };
  const timed = async (fn: () => Promise<void> | void): Promise<number> => {
    const t0 = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  try {
    cli('image', 'import', (await busyboxImage()).ociLayout, BUSYBOX_REFERENCE);
    // Warm: the embedded control plane comes up and the image is unpacked once.
    cli('up', '--wait', '--timeout', '120', '-f', file('warm', { w: service(1) }));
    cli('down', '-p', 'warm');
    const client = new ApiClient(env.TSSTACK_EMBEDDED_ADDR.replace(/^/, 'http://'), fs.readFileSync(path.join(dataDir, 'controller', 'token'), 'utf8').trim()); // prettier-ignore
    const running = async (stack: string, n: number, specVersion?: number): Promise<void> => {
      for (;;) {
        const tasks = await client.listTasks({ stack });
        const ok = tasks.filter((t) => t.state === 'running' && t.desiredState === 'running' && (specVersion === undefined || (t.specVersion ?? 0) >= specVersion)); // prettier-ignore
        if (ok.length >= n && tasks.filter((t) => t.desiredState === 'running').length === n) return;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const ten = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`s${i}`, service(1)]));
    const up10 = await timed(() => cli('up', '--wait', '--timeout', '300', '-f', file('ten', ten)));
    const bigFile = file('big', { app: service(BIG) });
    const create50 = await timed(async () => {
      cli('up', '-d', '-f', bigFile);
      await running('big', BIG);
    });
    const scale100 = await timed(async () => {
      await client.scale('big', 'app', BIG * 2);
      await running('big', BIG * 2);
    });
    const before = Math.max(...(await client.listTasks({ stack: 'big' })).map((t) => t.specVersion ?? 0));
    const update100 = await timed(async () => {
      cli('up', '-d', '-f', file('big', { app: service(BIG * 2, { VERSION: '2' }) }));
      await running('big', BIG * 2, before + 1);
    });
    const live = sleepers();
    const updated = live.filter((e) => e.includes('VERSION=2')).length;
    if (live.length !== 10 + BIG * 2 || updated !== BIG * 2)
      throw new Error(`expected ${10 + BIG * 2} sleep processes (${BIG * 2} with VERSION=2), found ${live.length} (${updated})`); // prettier-ignore
    const pids = status(dataDir);
    const agentRss = rssMb(pids.agent.pid);
    const controllerRss = rssMb(pids.controller.pid);
    const down = await timed(async () => {
      cli('down', '-p', 'ten');
      cli('down', '-p', 'big');
      while ((await client.listTasks({ all: true })).some((t) => t.state === 'running')) await new Promise((r) => setTimeout(r, 50)); // prettier-ignore
    });
    if (sleepers().length) throw new Error(`${sleepers().length} sleep processes outlived down`);
    const result = {
      up10_s: +up10.toFixed(3),
      create50_s: +create50.toFixed(3),
      scale100_s: +scale100.toFixed(3),
      update100_s: +update100.toFixed(3),
      down_s: +down.toFixed(3),
      agent_rss_mb: agentRss,
      controller_rss_mb: controllerRss,
    };
    const row = (what: string, ours: number, peer: string, target: string) =>
      console.log(`${what.padEnd(34)} ${String(ours).padStart(8)}   ${peer.padEnd(18)} ${target}`);
    console.log(`${'work'.padEnd(34)} ${'tsstack'.padStart(8)}   ${'peer (measured)'.padEnd(18)} target`);
    row('up --wait, 10 services (s)', result.up10_s, 'compose 3.6', '< 1');
    row(`create ${BIG} replicas (s)`, result.create50_s, 'swarm 8-9', '< 2');
    row(`scale ${BIG} -> ${BIG * 2} (s)`, result.scale100_s, 'swarm 7.6-9.7', '< 2');
    row(`rolling update of ${BIG * 2}, par. 10 (s)`, result.update100_s, 'swarm 28.6-30.4', '< 6');
    row('down (s)', result.down_s, '', '');
    console.log(`agent RSS ${agentRss} MB, controller RSS ${controllerRss} MB; after the update ${live.length} sleep processes ran, ${updated} with the new env`); // prettier-ignore
    console.log(JSON.stringify(result));
  } finally {
    spawnSync(process.execPath, [BIN, 'down', '-p', 'ten'], { env });
    spawnSync(process.execPath, [BIN, 'down', '-p', 'big'], { env });
    await stopAll(dataDir);
    spawnSync(process.execPath, [BIN, 'node-agent', '--cleanup', '--state-dir', path.join(dataDir, 'agent'), '--image-root', env.TSSTACK_IMAGE_ROOT], { env }); // prettier-ignore
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
