// Integration test of the cluster harness itself: hosts come up, reach each other across the switch, a cut
// link isolates a host, and teardown leaves no namespace, process or state dir behind.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { requireCommand, requireRoot } from '@tsstack/testkit';
import * as path from 'node:path';
import { createCluster, listNetns, sweepStale, type Cluster } from './harness';
import { startControlPlane, until, type ControlPlane } from './control-plane';
import { hostContainers, psTasks, runningOf } from './cluster-checks';

describe('cluster harness', () => {
  let cluster: Cluster | undefined;
  beforeAll(() => {
    requireRoot();
    requireCommand('busybox', 'busybox');
    sweepStale();
  });
  afterEach(() => {
    cluster?.teardown();
    cluster = undefined;
  });

  it('hosts ping each other, a cut link isolates a host, teardown leaves nothing', () => {
    cluster = createCluster(3);
    const [a, b, c] = cluster.hosts;
    expect(listNetns().filter((n) => n.startsWith(cluster!.prefix))).toHaveLength(4);
    expect(cluster.exec(a, ['busybox', 'ping', '-c1', '-W2', b.address])).toContain('1 packets received');
    expect(cluster.exec(c, ['busybox', 'ping', '-c1', '-W2', a.address])).toContain('1 packets received');
    cluster.cutLink(b);
    expect(() => cluster!.exec(a, ['busybox', 'ping', '-c1', '-W1', b.address])).toThrow();
    cluster.restoreLink(b);
    expect(cluster.exec(a, ['busybox', 'ping', '-c3', '-W2', b.address])).toMatch(/[123] packets received/);
    const { prefix } = cluster;
    const dirs = cluster.hosts.map((h) => h.stateDir);
    cluster.teardown();
    cluster = undefined;
    expect(listNetns().filter((n) => n.startsWith(prefix))).toEqual([]);
    for (const d of dirs) expect(fs.existsSync(d)).toBe(false);
  });

  it('an agent killed and started again adopts its container; teardown leaves no process, cgroup or mount', async () => {
    let cp: ControlPlane | undefined = await startControlPlane({ hosts: 1 });
    try {
      const file = path.join(cp.cluster.root, 'one.yml');
      fs.writeFileSync(
        file,
        "name: one\nservices:\n  s:\n    image: tsstack.local/hello:1\n    command: ['sleep', '3600']\n",
      );
      expect(cp.cli(['up', '--wait', '-f', file, '--timeout', '60']).status).toBe(0);
      const [before] = runningOf(psTasks(cp, 'one'));
      const host = cp.cluster.hosts[0];
      await cp.killAgent(host);
      await cp.startAgent(host);
      await new Promise((r) => setTimeout(r, 2000));
      const [after] = runningOf(psTasks(cp, 'one'));
      expect(after).toMatchObject({
        task: before.task,
        containerId: before.containerId,
        startedAt: before.startedAt,
      });
      const containers = hostContainers(cp, host);
      expect(containers).toContain(before.containerId);
      // the container's processes should sit under the host's --cgroup-parent (checked after teardown too)
      // The container's PID 1 runs `sleep 3600`; find it by its pid recorded in the runtime's state.
      const cgroups = execFileSync('sh', ['-c', `grep -h -e pids -e memory $(for p in $(pgrep -xf "sleep 3600"); do echo /proc/$p/cgroup; done)`], { encoding: 'utf8' }); // prettier-ignore
      expect(cgroups).toContain(`pids:/tsstack-${host.netns}/${before.containerId}`);
      expect(cgroups).toContain(`memory:/tsstack-${host.netns}/${before.containerId}`);
      const { prefix, root } = cp.cluster;
      const cg = `/sys/fs/cgroup/pids/tsstack-${host.netns}`;
      await cp.teardown();
      cp = undefined;
      expect(listNetns().filter((n) => n.startsWith(prefix))).toEqual([]);
      expect(fs.existsSync(cg)).toBe(false);
      expect(fs.existsSync(root)).toBe(false);
      expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(root);
      await until(
        'no process of the run left',
        () => {
          const left = fs
            .readdirSync('/proc')
            .filter((p) => /^\d+$/.test(p))
            .filter((p) => {
              try {
                return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(root);
              } catch {
                return false;
              }
            });
          return left.length === 0;
        },
        10_000,
      );
    } finally {
      await cp?.teardown();
    }
  }, 180_000);
});
