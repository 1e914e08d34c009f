// Integration test of the cluster harness itself: hosts come up, reach each other across the switch, a cut
// link isolates a host, and teardown leaves no namespace, process or state dir behind.
import * as fs from 'node:fs';
import { requireCommand, requireRoot } from '@tsstack/testkit';
import { createCluster, listNetns, sweepStale, type Cluster } from './harness';

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
});
