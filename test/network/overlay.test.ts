// Overlay networks on a simulated three-host cluster: each host is a namespace wired to a shared "switch"
// bridge (in its own namespace). The test plays the controller: it hands every host the same
// NetworkAssignment (VNI, subnet, endpoints with their node's underlay address) and checks that unicast
// VXLAN (FDB + neighbour entries, no flooding) carries TCP and UDP between hosts by service name, that
// tasks.<svc> lists replicas on every node, that a VIP and the ingress mesh reach tasks on other nodes, that
// endpoint changes apply within a second, and that nothing is left after removal.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { plainNetwork, type NetworkAssignment, type NetworkEndpoint } from '@tsstack/model';
import { macForAddress, NetworkManager, netlink, type AttachResult } from '@tsstack/network';
import { cleanupNetns, createNetns, freeSubnet24, requireCommand, requireRoot } from '@tsstack/testkit';
import {
  execWithResolv,
  httpdIn,
  killAll,
  netnsPathOf,
  nslookupIn,
  udpSocketIn,
  waitFor,
  wgetIn,
} from './net-helpers';

interface Host {
  nodeId: string;
  ns: string;
  address: string;
  m: NetworkManager;
  stateDir: string;
  netnsDir: string;
}

const ip = (...a: string[]) => execFileSync('ip', a, { encoding: 'utf8' });

describe('overlay network across three hosts', () => {
  const hosts: Host[] = [];
  let sw: string;
  let swAddress: string;
  let overlay: string;
  let base: string;
  const tasks: Record<
    string,
    { host: number; address: string; service: string; ns?: string; r?: AttachResult }
  > = {};
  let assignment: NetworkAssignment;

  const endpoints = (): NetworkEndpoint[] =>
    Object.entries(tasks).map(([taskId, t]) => ({
      taskId,
      taskName: `s_${taskId}`,
      service: t.service,
      aliases: [t.service], // as the planner passes them: the service name is an alias too
      address: t.address,
      mac: macForAddress(t.address),
      nodeId: hosts[t.host].nodeId,
      nodeAddress: hosts[t.host].address,
      serving: true,
    }));

  beforeAll(async () => {
    requireRoot();
    requireCommand('nft', 'nftables');
    requireCommand('busybox', 'busybox-static');
    const underlay = freeSubnet24();
    overlay = freeSubnet24([underlay]);
    const ub = underlay.split('.').slice(0, 3).join('.');
    base = overlay.split('.').slice(0, 3).join('.');
    const swName = createNetns('tsnsw');
    sw = netnsPathOf(swName);
    swAddress = `${ub}.1`;
    ip('-n', swName, 'link', 'add', 'sw0', 'type', 'bridge');
    ip('-n', swName, 'addr', 'add', `${swAddress}/24`, 'dev', 'sw0');
    ip('-n', swName, 'link', 'set', 'sw0', 'up');
    for (let i = 0; i < 3; i++) {
      const name = createNetns(`tsnh${i + 1}`);
      const address = `${ub}.${11 + i}`;
      ip('-n', name, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `p${i}`, 'netns', swName);
      ip('-n', swName, 'link', 'set', `p${i}`, 'master', 'sw0', 'up');
      ip('-n', name, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
      ip('-n', name, 'link', 'set', 'eth0', 'up');
      const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsn-ovl-'));
      const netnsDir = fs.mkdtempSync('/run/tsn-netns-');
      const m = await NetworkManager.open({
        stateDir,
        netnsDir,
        hostNetns: netnsPathOf(name),
        nodeId: `n${i + 1}`,
        nodeAddress: address,
        upstreams: [],
      });
      hosts.push({ nodeId: `n${i + 1}`, ns: netnsPathOf(name), address, m, stateDir, netnsDir });
    }
    tasks.web1 = { host: 0, address: `${base}.10`, service: 'web' };
    tasks.web2 = { host: 1, address: `${base}.11`, service: 'web' };
    tasks.db = { host: 1, address: `${base}.30`, service: 'db' };
    tasks.cli = { host: 2, address: `${base}.20`, service: 'client' };
    assignment = {
      id: 's_mesh',
      stack: 's',
      spec: plainNetwork('mesh', 'overlay'),
      subnet: overlay,
      gateway: `${base}.1`,
      vni: 4000 + Math.floor(Math.random() * 1000),
      vips: { web: `${base}.100` },
      endpoints: endpoints(),
      nodeEndpoints: hosts.map((h, i) => ({
        nodeId: h.nodeId,
        nodeAddress: h.address,
        address: `${base}.${250 + i}`,
      })),
    };
  });

  afterAll(async () => {
    killAll();
    for (const h of hosts) {
      await h.m.reconcile({ tasks: [], networks: [] }).catch(() => undefined);
      await h.m.close();
      execFileSync('umount', ['-l', h.netnsDir]);
      fs.rmSync(h.netnsDir, { recursive: true, force: true });
      fs.rmSync(h.stateDir, { recursive: true, force: true });
    }
    cleanupNetns();
  });

  it('creates the overlay on each host and attaches tasks with the overlay MTU', async () => {
    // nodes first hear of the network without their own overlay addresses, then with them
    for (const h of hosts) await h.m.applyAssignment({ ...assignment, nodeEndpoints: undefined });
    for (const h of hosts) await h.m.applyAssignment(assignment);
    for (const [taskId, t] of Object.entries(tasks)) {
      const h = hosts[t.host];
      t.ns = await h.m.createTaskNetns(taskId);
      t.r = await h.m.attachTask({
        taskId,
        netnsPath: t.ns,
        networkId: 's_mesh',
        address: t.address,
        service: t.service,
        aliases: [t.service],
        stack: 's',
        taskName: `s_${taskId}`,
      });
      expect(t.r.mtu).toBe(1450);
      expect(t.r.mac).toBe(macForAddress(t.address));
    }
    const fdb = (await netlink.fdb(hosts[2].ns)).filter((e) => e.address === hosts[1].address);
    expect(fdb.map((e) => e.mac)).toEqual(expect.arrayContaining([macForAddress(tasks.db.address)]));
    // unicast only: no all-zero (flood) entry on any host's VXLAN device
    for (const h of hosts) {
      expect((await netlink.fdb(h.ns)).filter((e) => e.mac === '00:00:00:00:00:00' && e.address)).toEqual([]);
    }
  });

  it('carries TCP and UDP between hosts by service name', async () => {
    httpdIn(tasks.db.ns!, 'db');
    httpdIn(tasks.web1.ns!, 'web1');
    httpdIn(tasks.web2.ns!, 'web2');
    const cli = tasks.cli;
    await waitFor(
      'db over the overlay',
      async () => (await wgetIn(cli.ns!, `http://${tasks.db.address}/`)) === 'db',
    );
    const byName = await execWithResolv(cli.ns!, cli.r!.resolvConfPath, 'busybox wget -q -O - http://db/');
    expect(byName.trim()).toBe('db');
    // UDP: busybox nc has no -u, so the two ends are sockets made inside the task namespaces
    const [dbAddress] = await nslookupIn(cli.ns!, 'db', cli.r!.dnsServer);
    expect(dbAddress).toBe(tasks.db.address);
    const server = await udpSocketIn(tasks.db.ns!, '0.0.0.0', 9999);
    const client = await udpSocketIn(cli.ns!, '0.0.0.0', 0);
    try {
      server.on('message', (msg, rinfo) =>
        server.send(Buffer.from(`echo:${msg}`), rinfo.port, rinfo.address),
      );
      const reply = new Promise<string>((resolve) =>
        client.once('message', (msg) => resolve(msg.toString())),
      );
      client.send('over-udp', 9999, dbAddress);
      expect(await reply).toBe('echo:over-udp');
    } finally {
      server.close();
      client.close();
    }
  });

  it('lists every replica in tasks.<svc> and spreads the VIP over replicas on other nodes', async () => {
    const cli = tasks.cli;
    expect(await nslookupIn(cli.ns!, 'tasks.web', cli.r!.dnsServer)).toEqual(
      [tasks.web1.address, tasks.web2.address].sort(),
    );
    expect(await nslookupIn(cli.ns!, 'web', cli.r!.dnsServer)).toEqual([`${base}.100`]);
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add((await wgetIn(cli.ns!, `http://${base}.100/`)) ?? 'fail');
    expect([...seen].sort()).toEqual(['web1', 'web2']);
  });

  it('serves ingress ports on every node, keeping the client address when localOnly', async () => {
    const ingress = { stack: 's', service: 'web', published: 8080, target: 80, protocol: 'tcp' as const };
    for (const h of hosts) await h.m.setIngress([{ ...ingress, localOnly: false }]);
    // host 3 runs no web task: it forwards to web1/web2 on the other hosts
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add((await wgetIn(sw, `http://${hosts[2].address}:8080/`)) ?? 'fail');
    expect([...seen].sort()).toEqual(['web1', 'web2']);
    // each node itself on 127.0.0.1: host 3 reaches remote tasks, host 1 its local web1 or a remote one
    const local = new Set<string>();
    for (let i = 0; i < 4; i++) local.add((await wgetIn(hosts[2].ns, 'http://127.0.0.1:8080/')) ?? 'fail');
    expect([...local].sort()).toEqual(['web1', 'web2']);
    expect(await wgetIn(hosts[0].ns, 'http://127.0.0.1:8080/')).toMatch(/^web[12]$/);
    await hosts[0].m.setIngress([{ ...ingress, localOnly: true }]);
    expect(await wgetIn(hosts[0].ns, 'http://127.0.0.1:8080/')).toBe('web1');
    expect(await wgetIn(sw, `http://${hosts[0].address}:8080/cgi-bin/ip`)).toBe(swAddress);
    for (const h of hosts) await h.m.setIngress([]);
  });

  it('applies endpoint changes within a second on every host', async () => {
    const cli = tasks.cli;
    const start = Date.now();
    const next = {
      ...assignment,
      endpoints: endpoints().map((e) => (e.taskId === 'web2' ? { ...e, serving: false } : e)),
    };
    await Promise.all(hosts.map((h) => h.m.applyAssignment(next)));
    await hosts[1].m.setServing('web2', false);
    expect(Date.now() - start).toBeLessThan(1000);
    expect(await nslookupIn(cli.ns!, 'tasks.web', cli.r!.dnsServer)).toEqual([tasks.web1.address]);
    for (let i = 0; i < 3; i++) expect(await wgetIn(cli.ns!, `http://${base}.100/`)).toBe('web1');
    // db leaves the cluster: its FDB and neighbour entries go from the other hosts
    const gone = { ...next, endpoints: next.endpoints.filter((e) => e.taskId !== 'db') };
    await Promise.all(hosts.map((h) => h.m.applyAssignment(gone)));
    const neigh = await netlink.neigh(hosts[2].ns);
    expect(neigh.map((n) => n.address)).not.toContain(tasks.db.address);
    const remoteFdb = (await netlink.fdb(hosts[2].ns)).filter((e) => e.address === hosts[1].address);
    // left for host 2: web2 and host 2's own overlay address (the SNAT source of its VIP/ingress traffic)
    expect(remoteFdb.map((e) => e.mac).sort()).toEqual(
      [macForAddress(tasks.web2.address), macForAddress(`${base}.251`)].sort(),
    );
  });

  it('leaves nothing on any host after reconcile to nothing', async () => {
    killAll();
    for (const h of hosts) {
      await h.m.reconcile({ tasks: [], networks: [] });
      const inv = await h.m.inventory();
      expect(inv).toEqual({
        netns: [],
        links: [],
        nftTable: '',
        ipamNetworks: [],
        allocations: 0,
        dnsAddresses: [],
        resolvConfs: [],
      });
      const left = (await netlink.links(h.ns)).map((l) => l.name).sort();
      expect(left).toEqual(['eth0', 'lo']);
    }
  });
});
