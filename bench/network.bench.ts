// bench:network — attach 100 task namespaces to one bridge network (netns + veth + address + route + DNS
// entry) on a simulated host namespace, then resolve a service name from inside one of them 1000 times
// against the embedded DNS (UDP, one query at a time, from a client process in the container namespace). Peer: Docker's embedded DNS answers in about
// 0.05-0.09 ms on this machine kind (no Docker here to run side by side, so the target is the number).
// Last stdout line: {"attach100_s": n, "dns_p50_ms": n, "dns_p99_ms": n}.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NetworkManager } from '@tsstack/network';
import { cleanupNetns, createNetns, freeSubnet24, requireRoot } from '@tsstack/testkit';

const TASKS = Number(process.env.TASKS ?? 100);
const QUERIES = Number(process.env.QUERIES ?? 1000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 8);

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/**
 * Sends `count` A queries for `name` one at a time from a child process inside `netns` and returns each round
 * trip in ms (after 100 warm-up queries); fails when an answer does not list `expect` addresses.
 */
function queryFromContainer(
  netns: string,
  server: string,
  name: string,
  count: number,
  expect: number,
): Promise<number[]> {
  const script = `
    const dgram = require('node:dgram');
    const [server, name, count, expect] = [process.argv[1], process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
    const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
    const q = Buffer.concat([Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels, Buffer.from([0, 0, 1, 0, 1])]);
    const s = dgram.createSocket('udp4');
    const times = [];
    let i = 0, t = 0n;
    s.on('message', (m) => {
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      if (m.readUInt16BE(6) !== expect) { console.error('bad answer count ' + m.readUInt16BE(6)); process.exit(2); }
      if (i++ >= 100) times.push(ms);
      if (times.length === count) { process.stdout.write(JSON.stringify(times)); s.close(); return; }
      t = process.hrtime.bigint();
      s.send(q, 53, server);
    });
    t = process.hrtime.bigint();
    s.send(q, 53, server);
  `;
  return new Promise((resolve, reject) => {
    execFile(
      'nsenter',
      [`--net=${netns}`, process.execPath, '-e', script, server, name, String(count), String(expect)],
      { maxBuffer: 1 << 24, timeout: 60000 },
      (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message} ${stderr}`)) : resolve(JSON.parse(stdout) as number[]),
    );
  });
}

async function main(): Promise<void> {
  requireRoot();
  const host = `/run/netns/${createNetns('tsnb')}`;
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsn-bench-'));
  const netnsDir = fs.mkdtempSync('/run/tsn-bench-netns-');
  const m = await NetworkManager.open({ stateDir, netnsDir, hostNetns: host, upstreams: [] });
  try {
    await m.createNetwork({ id: 'bench_net', driver: 'bridge', ipam: [{ subnet: freeSubnet24() }] });
    const t0 = process.hrtime.bigint();
    let first: { address: string; dnsServer: string; ns: string } | undefined;
    let next = 0;
    // As the agent starts tasks: several at once (CONCURRENCY), each netns + veth + address + route + DNS.
    const worker = async () => {
      for (let i = next++; i < TASKS; i = next++) {
        const taskId = `bench${i}`;
        const ns = await m.createTaskNetns(taskId);
        const r = await m.attachTask({
          taskId,
          netnsPath: ns,
          networkId: 'bench_net',
          service: `svc${i % 10}`,
        });
        if (i === 0) first = { address: r.address, dnsServer: r.dnsServer, ns };
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const attachS = Number(process.hrtime.bigint() - t0) / 1e9;

    // The client is its own process inside the container's namespace, as a resolver in a container is.
    const times = await queryFromContainer(first!.ns, first!.dnsServer, 'svc3', QUERIES, TASKS / 10);
    const result = {
      attach100_s: Number(attachS.toFixed(3)),
      dns_p50_ms: Number(percentile(times, 50).toFixed(4)),
      dns_p99_ms: Number(percentile(times, 99).toFixed(4)),
    };
    console.log(`case                           value        target`);
    console.log(
      `attach ${TASKS} tasks (s), ${CONCURRENCY} at once ${result.attach100_s.toString().padEnd(12)} < 2`,
    );
    console.log(
      `dns p50 (ms, ${QUERIES} queries)     ${result.dns_p50_ms.toString().padEnd(12)} < 0.1 (Docker 0.05-0.09)`,
    );
    console.log(`dns p99 (ms)                   ${result.dns_p99_ms}`);
    console.log(JSON.stringify(result));
  } finally {
    await m.reconcile({ tasks: [], networks: [] }).catch((e) => console.error('cleanup:', e));
    await m.close();
    try {
      require('node:child_process').execFileSync('umount', ['-l', netnsDir]); // eslint-disable-line @typescript-eslint/no-require-imports
    } catch {
      // not a mount point
    }
    fs.rmSync(netnsDir, { recursive: true, force: true });
    fs.rmSync(stateDir, { recursive: true, force: true });
    cleanupNetns();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
