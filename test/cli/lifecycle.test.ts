// The everyday lifecycle through the real `tsstack` binary against the real embedded control plane
// (controller, owned redis, node agent as daemons), output read as a script would (stdout not a terminal):
// up -d, up (plain progress lines, once each, and the summary), plan of a changed file, a redeploy that
// replaces only the changed service, scale, logs of one, several and all services, a failing service (exit 1
// with the reason), a service left out of the file kept as an orphan until --remove-orphans, down; usage
// errors exit 2. afterAll: down, system stop, the agent's cleanup, the data dir.
import type { SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BUSYBOX_REFERENCE, requireRoot, startEmbeddedCli, type EmbeddedCli } from '@tsstack/testkit';

// Its own subnet: another control plane on this host (a parallel test) may hold the default pool's first one.
const SUBNET = `10.${140 + (process.pid % 40)}.${process.pid % 250}.0/24`;

function stack(level: string, extra = ''): string {
  return `name: life
services:
  web:
    image: ${BUSYBOX_REFERENCE}
    command: ['sh', '-c', 'echo web-started; exec sleep 3600']
    init: true
  db:
    image: ${BUSYBOX_REFERENCE}
    command: ['sh', '-c', 'echo db-started; exec sleep 3600']
    init: true
    environment:
      LEVEL: ${level}
${extra}networks:
  default:
    ipam:
      config:
        - subnet: ${SUBNET}
`;
}

const BAD = `  bad:
    image: ${BUSYBOX_REFERENCE}
    command: ['/no/such/program']
`;

interface PsRow {
  service: string;
  task: string;
  state: string;
  desiredState: string;
}

describe('cli lifecycle against the embedded control plane, as a script sees it', () => {
  let dataDir = '';
  let plane: EmbeddedCli | undefined;
  const file = (name: string) => path.join(dataDir, name);

  const cli = (args: string[], timeoutMs = 120_000): SpawnSyncReturns<string> =>
    plane!.cli(args, { timeoutMs });
  const running = (): PsRow[] =>
    (JSON.parse(cli(['ps', '-p', 'life', '--format', 'json']).stdout) as PsRow[]).filter(
      (t) => t.state === 'running' && t.desiredState === 'running',
    );
  const runningOf = (svc: string) => running().filter((t) => t.service === `life_${svc}`);
  const waitFor = async (what: string, ok: () => boolean): Promise<void> => {
    const until = Date.now() + 90_000;
    while (!ok()) {
      if (Date.now() > until) throw new Error(`${what} did not happen in 90 s`);
      await new Promise((r) => setTimeout(r, 500));
    }
  };

  beforeAll(async () => {
    requireRoot();
    plane = await startEmbeddedCli('life');
    ({ dataDir } = plane);
    fs.writeFileSync(file('v1.yml'), stack('a'));
    fs.writeFileSync(file('v2.yml'), stack('b'));
    fs.writeFileSync(file('v3.yml'), stack('b', BAD));
  });

  afterAll(() => plane?.teardown(['life']));

  test('up -d returns with the plan; up then prints plain progress lines once each and the summary', () => {
    const detached = cli(['up', '-d', '-f', file('v1.yml')]);
    expect(detached.stderr).toBe('');
    expect(detached.status).toBe(0);
    expect(detached.stdout).toMatch(/^ {2}\+ db\s+create\s+\(new service\)$/m);
    expect(detached.stdout).toMatch(/^ {2}\+ web\s+create\s+\(new service\)$/m);
    expect(detached.stdout).not.toMatch(/reached their goal/);

    const up = cli(['up', '--wait', '-f', file('v1.yml'), '--timeout', '90']);
    expect(up.stderr).toBe('');
    expect(up.status).toBe(0);
    expect(up.stdout).not.toContain('\x1b');
    expect(up.stdout).toMatch(/^0 to create, 0 to update, 0 to remove, 2 unchanged\.$/m);
    const progress = up.stdout.split('\n').filter((l) => /^(db|web): /.test(l));
    expect(new Set(progress).size).toBe(progress.length);
    expect(progress).toContain('db: running 1/1');
    expect(progress).toContain('web: running 1/1');
    expect(up.stdout.trimEnd().split('\n').pop()).toMatch(/^2 services reached their goal in [\d.]+s$/);
  });

  test('plan of a changed file names the one changed service and why; --json parses', () => {
    const plan = cli(['plan', '-f', file('v2.yml')]);
    expect(plan.status).toBe(0);
    expect(plan.stdout).toMatch(/^ {2}~ db\s+update\s+\(environment changed\)$/m);
    expect(plan.stdout).toMatch(/^ {2}= web\s+unchanged$/m);
    const json = JSON.parse(cli(['plan', '-f', file('v2.yml'), '--json']).stdout) as Array<{ service: string; action: string }>; // prettier-ignore
    expect(json.map((p) => [p.service, p.action])).toEqual([
      ['db', 'update'],
      ['web', 'unchanged'],
    ]);
  });

  test('a redeploy with a changed env replaces only that service', async () => {
    const web = runningOf('web').map((t) => t.task);
    const db = runningOf('db').map((t) => t.task);
    const up = cli(['up', '--wait', '-f', file('v2.yml'), '--timeout', '90']);
    expect(up.status).toBe(0);
    await waitFor('db replaced', () => {
      const now = runningOf('db').map((t) => t.task);
      return now.length === 1 && now[0] !== db[0];
    });
    expect(runningOf('web').map((t) => t.task)).toEqual(web);
  });

  test('scale, then logs of one service, of several and of the whole stack', async () => {
    const scaled = cli(['scale', '-p', 'life', 'web=3']);
    expect(scaled.stdout).toBe('web scaled to 3\n');
    expect(scaled.status).toBe(0);
    await waitFor('3 web replicas running', () => runningOf('web').length === 3);
    await waitFor('every web replica logged', () => {
      const out = cli(['logs', '-p', 'life', 'web']).stdout;
      return (out.match(/^[0-9a-f]{12} \| web-started$/gm) ?? []).length === 3;
    });
    // Without -p the stack is the one the files name, as in Compose (logs takes --file: -f follows).
    const byFile = cli(['logs', '--file', file('v2.yml'), 'web']);
    expect(byFile.status).toBe(0);
    expect((byFile.stdout.match(/^[0-9a-f]{12} \| web-started$/gm) ?? []).length).toBe(3);
    const several = cli(['logs', '-p', 'life', 'web', 'db']);
    expect(several.status).toBe(0);
    expect(several.stdout).toMatch(/^web [0-9a-f]{12} \| web-started$/m);
    expect(several.stdout).toMatch(/^db [0-9a-f]{12} \| db-started$/m);
    const all = cli(['logs', '-p', 'life', '--tail', '1']);
    expect(all.status).toBe(0);
    // db's replaced task still has its log: one line per task, old and new.
    expect(all.stdout.split('\n').filter((l) => l.startsWith('db ')).length).toBe(2);
    expect(all.stdout.split('\n').filter((l) => l.startsWith('web ')).length).toBe(3);
  });

  test('a service that cannot start makes up exit 1 naming it; ps -a says why', () => {
    const up = cli(['up', '--wait', '-f', file('v3.yml'), '--timeout', '30']);
    expect(up.status).toBe(1);
    // `up` lists current tasks: it names the failure when it sees the failed task before its replacement.
    expect(up.stdout).toMatch(/^1 of 3 services (failed after|did not reach their goal in) [\d.]+s: bad/m);
    const all = JSON.parse(cli(['ps', '-p', 'life', '-a', '--format', 'json']).stdout) as Array<PsRow & { error?: string }>; // prettier-ignore
    const failed = all.filter((t) => t.service === 'life_bad' && /failed|rejected/.test(t.state));
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]!.error).toMatch(/no\/such\/program/);
  });

  test('a service left out of the file is kept, with a warning, until up --remove-orphans', async () => {
    const kept = cli(['up', '--wait', '-f', file('v2.yml'), '--timeout', '60']);
    expect(kept.status).toBe(0);
    expect(kept.stdout).toMatch(
      /^ {2}! bad\s+orphaned\s+\(not in stack file: kept, --remove-orphans removes it\)$/m,
    );
    expect(kept.stdout).toMatch(
      /^0 to create, 0 to update, 0 to remove, 2 unchanged, 1 orphaned \(kept\)\.$/m,
    );
    expect(kept.stderr).toMatch(/^Found orphan services \(bad\) in stack life: .*--remove-orphans/);
    const desired = () =>
      (JSON.parse(cli(['ps', '-p', 'life', '--format', 'json']).stdout) as PsRow[]).filter(
        (t) => t.service === 'life_bad' && t.desiredState === 'running',
      );
    expect(desired().length).toBeGreaterThan(0);
    expect(cli(['plan', '-f', file('v2.yml'), '--remove-orphans']).stdout).toMatch(/^ {2}- bad\s+remove/m);

    const removed = cli(['up', '-d', '--remove-orphans', '-f', file('v2.yml')]);
    expect(removed.status).toBe(0);
    expect(removed.stderr).toBe('');
    expect(removed.stdout).toMatch(/^ {2}- bad\s+remove\s+\(not in stack file\)$/m);
    await waitFor('bad removed', () => desired().length === 0);
    expect([runningOf('web').length, runningOf('db').length]).toEqual([1, 1]);
  });

  test('usage errors exit 2; down -f removes the stack the file names', () => {
    expect(cli(['ps', '-p', 'life', '--format', 'xml']).status).toBe(2);
    expect(cli(['up', '-f', file('missing.yml')]).status).toBe(2);
    const noStack = cli(['logs']);
    expect(noStack.status).toBe(2);
    expect(noStack.stderr).toMatch(/which stack\? pass -p NAME or the stack files: .*no Compose file here/);
    const down = cli(['down', '-f', file('v2.yml'), '--remove-orphans']);
    expect(down.stdout).toBe('removed stack life\n');
    expect(down.status).toBe(0);
    const stacks = JSON.parse(cli(['stack', 'ls', '--json']).stdout) as Array<{ name: string }>;
    expect(stacks.map((s) => s.name)).not.toContain('life');
  });
});
