// Crash and restart of the agent: a new NetworkManager on the same state directory re-adopts what the old one
// made, reconcile() removes tasks and networks that are no longer wanted plus the strays a crash can leave
// (a veth whose attach never got recorded, a namespace file of a task never attached), and after
// reconcile to nothing the host holds no tsstack interface, namespace, nft table, DNS listener or address.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NetworkManager, netlink } from '@tsstack/network';
import { cleanupNetns, createNetns, freeSubnet24, requireCommand, requireRoot } from '@tsstack/testkit';
import { killAll, linkNames, netnsPathOf, nslookupIn, wgetIn, httpdIn, waitFor } from './net-helpers';

describe('agent crash and restart', () => {
  let host: string;
  let stateDir: string;
  let netnsDir: string;
  let m: NetworkManager;

  beforeAll(async () => {
    requireRoot();
    requireCommand('nft', 'nftables');
    host = netnsPathOf(createNetns('tsnc'));
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsn-crash-'));
    netnsDir = fs.mkdtempSync('/run/tsn-netns-');
    m = await NetworkManager.open({ stateDir, netnsDir, hostNetns: host, upstreams: [] });
  });

  afterAll(async () => {
    killAll();
    await m?.reconcile({ tasks: [], networks: [] }).catch(() => undefined);
    await m?.close();
    for (const f of fs.existsSync(netnsDir) ? fs.readdirSync(netnsDir) : []) {
      await netlink.netnsRemove(path.join(netnsDir, f)).catch(() => undefined);
    }
    require('node:child_process').spawnSync('umount', ['-l', netnsDir]); // eslint-disable-line @typescript-eslint/no-require-imports
    fs.rmSync(netnsDir, { recursive: true, force: true });
    fs.rmSync(stateDir, { recursive: true, force: true });
    cleanupNetns();
  });

  it('re-adopts kept tasks and removes everything else after a crash', async () => {
    const keep = await m.createNetwork({
      id: 'c_keep',
      driver: 'bridge',
      ipam: [{ subnet: freeSubnet24() }],
    });
    await m.createNetwork({
      id: 'c_gone',
      driver: 'bridge',
      internal: true,
      ipam: [{ subnet: freeSubnet24([keep.subnet]) }],
    });
    const nsA = await m.createTaskNetns('a');
    const nsB = await m.createTaskNetns('b');
    const nsC = await m.createTaskNetns('c');
    const a = await m.attachTask({ taskId: 'a', netnsPath: nsA, networkId: 'c_keep', service: 'web' });
    await m.attachTask({ taskId: 'b', netnsPath: nsB, networkId: 'c_keep', service: 'cli' });
    await m.attachTask({ taskId: 'c', netnsPath: nsC, networkId: 'c_gone', service: 'old' });
    await m.publishPorts('a', [{ protocol: 'tcp', published: 8081, target: 80 }]);
    httpdIn(nsA, 'a');
    await waitFor('httpd a', async () => (await wgetIn(nsB, `http://${a.address}/`)) === 'a');

    // The crash: the process goes away without cleaning up, after having made strays the state never saw.
    await m.close();
    await netlink.apply([
      { op: 'linkAdd', netns: host, name: 'tsve00deadbeef', kind: 'veth', peer: 'tspeer0' },
    ]);
    await netlink.netnsCreate(path.join(netnsDir, 'never-attached'));

    m = await NetworkManager.open({ stateDir, netnsDir, hostNetns: host, upstreams: [] });
    expect(await nslookupIn(nsB, 'web', a.gateway)).toEqual([a.address]);
    await m.reconcile({ tasks: ['a', 'b'], networks: ['c_keep'] });
    const inv = await m.inventory();
    expect(inv.netns.sort()).toEqual(['a', 'b']);
    expect(inv.ipamNetworks).toEqual(['c_keep']);
    expect(inv.allocations).toBe(2);
    expect(inv.links.length).toBe(3); // the bridge and two veths
    expect(inv.dnsAddresses).toEqual([a.gateway]);
    expect(inv.nftTable).toContain('dport 8081');
    expect(linkNames(host)).not.toContain('tspeer0');
    expect(await wgetIn(nsB, `http://${a.address}/`)).toBe('a');
  });

  it('leaves nothing after reconcile to nothing (down)', async () => {
    killAll();
    await m.reconcile({ tasks: [], networks: [] });
    expect(await m.inventory()).toEqual({
      netns: [],
      links: [],
      nftTable: '',
      ipamNetworks: [],
      allocations: 0,
      dnsAddresses: [],
      resolvConfs: [],
    });
    expect(linkNames(host)).toEqual(['lo']);
    const state = JSON.parse(fs.readFileSync(path.join(stateDir, 'network-state.json'), 'utf8'));
    expect(state).toMatchObject({ networks: {}, attachments: [], published: {}, ipam: { networks: {} } });
  });
});
