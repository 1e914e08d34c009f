// bench:cluster — the real processes on a simulated 3-host cluster (test/cluster harness: network
// namespaces on a bridge, Redis + controller on a control host, one agent per host):
//   up3hosts_s             `tsstack up` of the three-tier stack (web x3, api x2, redis x1, overlay) until it
//                          reports every service at its goal
//   requests / update_failed_requests   a client hits the published port of every host continuously during a
//                          start-first rolling update of web x3 (parallelism 1)
//   reschedule_s           a host dies (agent SIGKILLed, link cut) -> its tasks run on the others again
// Targets (issue 10): reschedule_s < 10 with default settings, update_failed_requests = 0.
// Needs root and `npm run build`. Last stdout line:
// {"reschedule_s": n, "update_failed_requests": n, "requests": n, "up3hosts_s": n}
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startControlPlane, until, REPO_ROOT, type ControlPlane } from '../test/cluster/control-plane';
import { sweepStale } from '../test/cluster/harness';
import { psTasks, runningOf } from '../test/cluster/cluster-checks';
import { startLoad } from '../test/cluster/load';
import { webStack } from '../test/cluster/stacks';

function up(cp: ControlPlane, file: string): void {
  const r = cp.cli(['up', '--wait', '-f', file, '--timeout', '180']);
  if (r.status !== 0) throw new Error(`up ${file} failed: ${r.stdout}\n${r.stderr}\n${cp.logs()}`);
}

async function main(): Promise<void> {
  sweepStale();
  const cp = await startControlPlane({ hosts: 3 });
  try {
    const t0 = Date.now();
    up(cp, path.join(REPO_ROOT, 'test', 'cluster', 'stacks', 'three-tier.yml'));
    const up3hostsS = (Date.now() - t0) / 1000;

    const file = path.join(cp.cluster.root, 'roll.yml');
    fs.writeFileSync(file, webStack('v1').replace("'8080:8080'", "'8090:8080'"));
    up(cp, file);
    const load = startLoad(cp, 8090);
    await new Promise((r) => setTimeout(r, 2000));
    fs.writeFileSync(file, webStack('v2').replace("'8080:8080'", "'8090:8080'"));
    up(cp, file);
    await until(
      'web on v2',
      () => {
        const t = runningOf(psTasks(cp, 'roll'));
        return t.length === 3 && t.every((x) => x.specVersion === 2) ? true : undefined;
      },
      180_000,
      500,
    );
    await new Promise((r) => setTimeout(r, 2000));
    const res = await load.stop();
    if (res.errors.length) process.stderr.write(`bench:cluster: update errors: ${res.errors.join('; ')}\n`);

    // the host with most tasks dies
    const nodes = cp.api<Array<{ id: string; name: string }>>('GET', '/v1/nodes');
    const all = [...runningOf(psTasks(cp, 'shop')), ...runningOf(psTasks(cp, 'roll'))];
    const on = (h: string) => all.filter((t) => t.node === nodes.find((n) => n.name === h)?.id).length;
    const victim = [...cp.cluster.hosts].sort((a, b) => on(b.name) - on(a.name))[0];
    const victimId = nodes.find((n) => n.name === victim.name)?.id;
    const t1 = Date.now();
    await cp.killAgent(victim);
    cp.cluster.cutLink(victim);
    await until(
      'every task back on the surviving hosts',
      () => {
        const t = [...runningOf(psTasks(cp, 'shop')), ...runningOf(psTasks(cp, 'roll'))].filter(
          (x) => x.node !== victimId,
        );
        return t.length === 9 ? true : undefined;
      },
      120_000,
      200,
    );
    const rescheduleS = (Date.now() - t1) / 1000;

    const out = {
      reschedule_s: Number(rescheduleS.toFixed(1)),
      update_failed_requests: res.failed,
      requests: res.requests,
      up3hosts_s: Number(up3hostsS.toFixed(1)),
    };
    process.stdout.write(
      [
        'bench:cluster (3 hosts, 1 controller, Redis AOF fsync always)',
        `  up three-tier stack        ${out.up3hosts_s} s`,
        `  rolling update under load  ${out.requests} requests, ${out.update_failed_requests} failed`,
        `  host death -> whole again  ${out.reschedule_s} s`,
      ].join('\n') + '\n',
    );
    process.stdout.write(JSON.stringify(out) + '\n');
  } finally {
    await cp.teardown();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench:cluster: ${err.message}\n`);
  process.exit(1);
});
