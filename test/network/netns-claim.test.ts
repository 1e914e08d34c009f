// One network manager per network namespace: a second agent process (another state dir) opening the
// namespace a live one manages is refused with an error naming the owner, and touches nothing of it (its
// bridge stays); once the owner closes, or when the owner died (a stale claim), the namespace is free.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLAIMS_DIR, NetworkManager } from '@tsstack/network';
import { cleanupNetns, createNetns, freeSubnet24, requireCommand, requireRoot } from '@tsstack/testkit';
import { linkNames, netnsPathOf } from './net-helpers';

const NETWORK = path.resolve(__dirname, '..', '..', 'dist', 'libs', 'network');

/** Opens (and closes) a manager in another process, as a second agent would; its exit and stderr. */
function openElsewhere(host: string, stateDir: string): { status: number | null; stderr: string } {
  const script = `require(${JSON.stringify(NETWORK)}).NetworkManager.open(${JSON.stringify({ stateDir, hostNetns: host, upstreams: [] })})
    .then((m) => m.close())
    .catch((e) => { process.stderr.write(e.code + ': ' + e.message); process.exitCode = 1; });`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stderr: r.stderr };
}

const claimOf = (host: string): string => {
  const st = fs.statSync(host);
  return path.join(CLAIMS_DIR, `${st.dev}-${st.ino}.json`);
};

describe('one network manager per network namespace', () => {
  let host = '';
  const dirs: string[] = [];
  const stateDir = (): string => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tsn-claim-'));
    dirs.push(d);
    return d;
  };
  let owner: NetworkManager | undefined;

  beforeAll(() => {
    requireRoot();
    requireCommand('nft', 'nftables');
    host = netnsPathOf(createNetns('tscl'));
  });

  afterAll(async () => {
    await owner?.reconcile({ tasks: [], networks: [] }).catch(() => undefined);
    await owner?.close().catch(() => undefined);
    if (host) fs.rmSync(claimOf(host), { force: true });
    cleanupNetns();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('refuses a second process while the owner runs and leaves the owner untouched', async () => {
    const mine = stateDir();
    owner = await NetworkManager.open({ stateDir: mine, hostNetns: host, upstreams: [] });
    const net = await owner.createNetwork({
      id: 'cl_a',
      driver: 'bridge',
      ipam: [{ subnet: freeSubnet24() }],
    });
    expect(JSON.parse(fs.readFileSync(claimOf(host), 'utf8'))).toMatchObject({
      pid: process.pid,
      stateDir: mine,
    });

    const other = stateDir();
    const second = openElsewhere(host, other);
    expect(second.status).toBe(1);
    expect(second.stderr).toContain(
      `NETNS_TAKEN: another tsstack agent (pid ${process.pid}, state dir ${mine}) manages the networks`,
    );
    expect(second.stderr).toContain(`a second one (state dir ${other})`);
    expect(linkNames(host)).toContain(net.bridge);

    await owner.reconcile({ tasks: [], networks: [] });
    await owner.close();
    owner = undefined;
    expect(fs.existsSync(claimOf(host))).toBe(false);
    expect(openElsewhere(host, other)).toEqual({ status: 0, stderr: '' });
    expect(fs.existsSync(claimOf(host))).toBe(false);
  });

  it('takes over the claim of an owner that died', async () => {
    const dead = spawnSync('true').pid!;
    fs.mkdirSync(CLAIMS_DIR, { recursive: true });
    fs.writeFileSync(claimOf(host), JSON.stringify({ pid: dead, started: '1', stateDir: '/var/lib/gone' }));
    owner = await NetworkManager.open({ stateDir: stateDir(), hostNetns: host, upstreams: [] });
    expect(JSON.parse(fs.readFileSync(claimOf(host), 'utf8'))).toMatchObject({ pid: process.pid });
  });
});
