// Settings that weaken isolation, through the real `tsstack` binary and a real controller: `plan` and `up`
// name them per service on stderr; a controller started with --policy strict refuses them with every setting
// named (exit 2, nothing stored), while the default policy deploys them as Compose would.
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { requireCommand, TSSTACK_BIN } from '@tsstack/testkit';
import { ctl, tempDir, type Ctl } from './controller-kit';

const RISKY = `
services:
  admin:
    image: busybox
    privileged: true
    cap_add: [SYS_ADMIN]
    volumes: ["/etc:/host-etc:ro", "/var/run/docker.sock:/var/run/docker.sock"]
    security_opt: ["seccomp=unconfined"]
  plain:
    image: busybox
`;

describe('risky settings named by the CLI, refused by a strict controller', () => {
  let dir: string;
  const planes: Ctl[] = [];

  beforeAll(async () => {
    requireCommand('redis-server', 'redis-server');
    dir = await tempDir('tsstack-policy-');
    await fs.writeFile(path.join(dir, 'compose.yaml'), RISKY);
  });
  afterAll(async () => {
    for (const p of planes) await p.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const start = async (name: string, policy?: string) => {
    const data = path.join(dir, name);
    await fs.mkdir(data);
    const c = await ctl(data, policy ? { policy } : {});
    planes.push(c);
    return c;
  };
  // Asynchronous: the controller answers from this very process.
  const cli = (c: Ctl, args: string[]) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const argv = [TSSTACK_BIN, ...args, '-f', path.join(dir, 'compose.yaml'), '-p', 'risky'];
      const env = {
        ...process.env,
        TSSTACK_HOST: c.url,
        TSSTACK_TOKEN: c.token,
        TSSTACK_DATA_DIR: c.dataDir,
      };
      execFile(process.execPath, argv, { encoding: 'utf8', env, timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  const WARNINGS = [
    'warning: service admin weakens its isolation from the host:',
    expect.stringMatching(/^ {2}privileged: true — every capability/),
    expect.stringMatching(/^ {2}cap_add: SYS_ADMIN — mount, namespaces/),
    expect.stringMatching(/^ {2}\/etc:\/host-etc — host configuration/),
    expect.stringMatching(/^ {2}\/var\/run\/docker\.sock:\/var\/run\/docker\.sock — the Docker API/),
    expect.stringMatching(/^ {2}seccomp=unconfined — no seccomp filter/),
    '(a controller started with --policy strict refuses these settings)',
  ];

  it('the default policy deploys them as Compose does; plan and up name them per service', async () => {
    const c = await start('compose');
    const plan = await cli(c, ['plan']);
    expect(plan.status).toBe(0);
    expect(plan.stderr.trim().split('\n')).toEqual(WARNINGS);
    expect(plan.stdout).toContain('+ admin');
    const up = await cli(c, ['up', '-d']);
    expect(up.status).toBe(0);
    expect(up.stderr.trim().split('\n')).toEqual(WARNINGS);
    expect((await c.api('GET', '/v1/stacks/risky')).status).toBe(200);
  });

  it('a strict controller refuses them, naming each service field and why, and stores nothing', async () => {
    const c = await start('strict', 'strict');
    for (const cmd of [['plan'], ['up', '-d']]) {
      const r = await cli(c, cmd);
      expect(r.status).toBe(2);
      const refused = r.stderr.split('\n').filter((l) => l.includes('<controller policy strict>'));
      expect(refused).toEqual([
        expect.stringContaining("services.admin.privileged: privileged: true is refused by this controller's strict policy"), // prettier-ignore
        expect.stringContaining('services.admin.cap_add: cap_add: SYS_ADMIN is refused'),
        expect.stringContaining('services.admin.volumes[0]: /etc:/host-etc is refused'),
        expect.stringContaining(
          'services.admin.volumes[1]: /var/run/docker.sock:/var/run/docker.sock is refused',
        ),
        expect.stringContaining('services.admin.security_opt: seccomp=unconfined is refused'),
      ]);
    }
    expect((await c.api('GET', '/v1/stacks/risky')).status).toBe(404);
    const body = await c.api<{ error: { code: string } }>('PUT', '/v1/stacks/risky', {
      stack: { services: { web: { image: 'x', pidMode: 'host', volumes: [{ type: 'bind', source: c.dataDir, target: '/d', readOnly: true }] } } }, // prettier-ignore
    });
    expect(body.status).toBe(400);
    expect(body.body.error.code).toBe('POLICY_REFUSED');
    expect(JSON.stringify(body.body)).toContain("tsstack's own data");
    // A stack without such settings deploys; a service update cannot bring them in afterwards.
    const plain = await c.api('PUT', '/v1/stacks/plain', { stack: { services: { web: { image: 'x' } } } });
    expect(plain.status).toBe(200);
    const update = await c.api<{ error: { code: string; issues: Array<{ path: string }> } }>('POST', '/v1/services/plain/web/update', { spec: { image: 'x', privileged: true, capAdd: ['ALL'] } }); // prettier-ignore
    expect(update.status).toBe(400);
    expect(update.body.error.code).toBe('POLICY_REFUSED');
    expect(update.body.error.issues.map((i) => i.path)).toEqual([
      'services.web.privileged',
      'services.web.cap_add',
    ]);
    const fine = await c.api('POST', '/v1/services/plain/web/update', { spec: { image: 'y' } });
    expect(fine.status).toBe(200);
  });
});
