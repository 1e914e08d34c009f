// bench:controller — the controller (embedded redis-server, AOF fsync always) with 20 in-process fake agents:
// deploy a 200-service stack of 5 replicas each (1000 tasks) until all report running, then a rolling update
// of all of them (parallelism 10) until every task runs the new image. Peer (from the issue): Swarm needs
// about 20 s to reschedule a lost node; no peer number for this workload is measured here.
// Last stdout line: {"deploy1000_s": n, "update1000_s": n, "events_per_s": n}.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import WebSocket from 'ws';
import { startController } from '@tsstack/controller';
import { FakeAgent } from '../test/controller/fake-agent';

const NODES = Number(process.env.NODES ?? 20);
const SERVICES = Number(process.env.SERVICES ?? 200);
const REPLICAS = Number(process.env.REPLICAS ?? 5);

function stack(image: string) {
  const services: Record<string, unknown> = {};
  for (let i = 0; i < SERVICES; i++) {
    services[`svc-${i}`] = {
      image,
      environment: { INDEX: String(i) },
      deploy: { replicas: REPLICAS, updateConfig: { parallelism: 10, delayMs: 0, order: 'stop-first' } },
    };
  }
  return { services };
}

async function until(what: string, pred: () => boolean, ms = 120_000, trace?: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  const t0 = Date.now();
  let next = 0;
  while (!pred()) {
    if (trace && process.env.BENCH_TRACE && Date.now() - t0 >= next) {
      process.stderr.write(`${what} +${Date.now() - t0}ms ${trace()}\n`);
      next += 500;
    }
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function main(): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tsstack-bench-ctl-'));
  const ctl = await startController({ listen: '127.0.0.1:0', dataDir: dir, logLevel: 'silent' });
  const agents: FakeAgent[] = [];
  try {
    for (let i = 0; i < NODES; i++)
      agents.push(await FakeAgent.join(ctl.url, ctl.joinToken, { hostname: `node-${i}` }));
    let events = 0;
    const ws = new WebSocket(`${ctl.url.replace('http', 'ws')}/v1/events`, {
      headers: { authorization: `Bearer ${ctl.token}` },
    });
    ws.on('message', () => events++);
    await new Promise((r) => ws.once('open', r));
    const total = SERVICES * REPLICAS;
    const runningOf = (image: string) =>
      agents.reduce((n, a) => n + a.running().filter((t) => t.spec.image === image).length, 0);
    const put = async (image: string) => {
      const res = await fetch(`${ctl.url}/v1/stacks/bench`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${ctl.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ stack: stack(image) }),
      });
      if (!res.ok) throw new Error(`deploy failed: ${res.status} ${await res.text()}`);
    };

    const t0 = performance.now();
    await put('app:1');
    await until(
      `${total} running`,
      () => runningOf('app:1') === total,
      120_000,
      () => `running ${runningOf('app:1')}`,
    );
    const deploy = (performance.now() - t0) / 1000;

    const t1 = performance.now();
    await put('app:2');
    await until(
      `${total} updated`,
      () => runningOf('app:2') === total,
      120_000,
      () => `new ${runningOf('app:2')} old ${runningOf('app:1')}`,
    );
    const update = (performance.now() - t1) / 1000;
    const eventsPerS = events / (deploy + update);
    ws.terminate();

    const rows = [
      ['deploy 1000 tasks on 20 nodes', `${deploy.toFixed(2)} s`, 'target < 3 s'],
      ['rolling update 1000 tasks (parallelism 10)', `${update.toFixed(2)} s`, ''],
      ['events streamed', `${Math.round(eventsPerS)} /s`, `${events} events`],
    ];
    for (const r of rows) process.stdout.write(`${r[0]!.padEnd(44)} ${r[1]!.padStart(10)}  ${r[2]}\n`);
    process.stdout.write(
      JSON.stringify({
        deploy1000_s: +deploy.toFixed(3),
        update1000_s: +update.toFixed(3),
        events_per_s: Math.round(eventsPerS),
      }) + '\n',
    );
  } finally {
    for (const a of agents) a.kill();
    await ctl.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:controller failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
