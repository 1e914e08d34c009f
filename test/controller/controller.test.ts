// Integration: the real controller (embedded redis-server) with in-process fake agents: deploy, scale, rolling
// updates (each order and failure action), rollback, node loss and rescheduling, drain, stale write refused,
// events resumed with no gap and no duplicate, 401 without a token.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import WebSocket from 'ws';
import { requireCommand } from '@tsstack/testkit';
import { plainNetwork, type TaskRow, type TsstackEvent } from '@tsstack/model';
import { FakeAgent } from './fake-agent';
import { EventClient, ctl, service, tempDir, waitFor, type Ctl } from './controller-kit';

describe('controller with fake agents (embedded redis-server)', () => {
  let dir: string;
  let c: Ctl;
  const agents: FakeAgent[] = [];

  beforeAll(async () => {
    requireCommand('redis-server', 'redis-server');
    dir = await tempDir('tsstack-ctl-');
    c = await ctl(dir);
    for (const h of ['n1', 'n2', 'n3'])
      agents.push(
        await FakeAgent.join(c.url, c.joinToken, { hostname: h, labels: { zone: h === 'n3' ? 'b' : 'a' } }),
      );
  });
  afterAll(async () => {
    for (const a of agents) await a.close();
    await c?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const tasks = async (stack: string, all = false) =>
    (await c.api<TaskRow[]>('GET', `/v1/tasks?stack=${stack}${all ? '&all=1' : ''}`)).body;
  const running = async (stack: string, svc?: string) =>
    (await tasks(stack)).filter((t) => t.state === 'running' && (!svc || t.service === `${stack}_${svc}`));

  it('writes the token files 0600 and refuses requests without the token (401, no data)', async () => {
    for (const f of ['token', 'join-token']) {
      expect((await fs.stat(path.join(dir, 'controller', f))).mode & 0o777).toBe(0o600);
    }
    expect((await fs.readFile(path.join(dir, 'controller', 'token'), 'utf8')).trim()).toBe(c.token);
    const redisPid = Number(await fs.readFile(path.join(dir, 'system', 'redis.pid'), 'utf8'));
    expect(() => process.kill(redisPid, 0)).not.toThrow();
    const r = await c.api('GET', '/v1/stacks', undefined, null);
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    expect((await c.api('GET', '/v1/nodes', undefined, 'wrong')).status).toBe(401);
    expect((await c.api('GET', '/health', undefined, null)).status).toBe(200);
    expect((await c.api('GET', '/v1/events')).status).toBe(426);
    await expect(new EventClient(c.url, 'wrong').opened).rejects.toThrow(/401/);
  });

  it('deploys a stack, scales it up and down, and streams the events', async () => {
    const ev = new EventClient(c.url, c.token, '?stack=web');
    await ev.opened;
    const plan = await c.api<{ plan: unknown[] }>('POST', '/v1/stacks/web/plan', {
      stack: { services: { api: service('img:1', 3) } },
    });
    expect(plan.body.plan).toEqual([{ service: 'api', action: 'create', reasons: ['new service'] }]);
    const dep = await c.api<{ version: number }>('PUT', '/v1/stacks/web', {
      stack: { services: { api: service('img:1', 3) } },
    });
    expect(dep.status).toBe(200);
    expect(dep.body.version).toBe(1);
    await waitFor('3 running', async () => (await running('web')).length === 3);
    const nodes = new Set((await running('web')).map((t) => t.node));
    expect(nodes.size).toBe(3);
    expect((await c.api('POST', '/v1/services/web/api/scale', { replicas: 6 })).status).toBe(200);
    await waitFor('6 running', async () => (await running('web')).length === 6);
    await c.api('POST', '/v1/services/web/api/scale', { replicas: 2 });
    await waitFor(
      '2 running',
      async () => (await tasks('web')).length === 2 && (await running('web')).length === 2,
    );
    expect((await running('web')).map((t) => t.slot).sort()).toEqual([1, 2]);
    await waitFor('events', async () => ev.events.some((e) => e.type === 'service.scaled'));
    const types = new Set(ev.events.map((e) => e.type));
    for (const t of [
      'stack.updated',
      'service.created',
      'task.created',
      'task.state',
      'service.scaled',
      'task.desired',
    ]) {
      expect(types.has(t as TsstackEvent['type'])).toBe(true);
    }
    expect(ev.events.every((e) => e.stack === 'web')).toBe(true);
    ev.close();
    const svcs = (
      await c.api<Array<{ service: string; running: number; replicas: number }>>(
        'GET',
        '/v1/services?stack=web',
      )
    ).body;
    expect(svcs).toEqual([expect.objectContaining({ service: 'api', running: 2, replicas: 2 })]);
  });

  it('keeps services that left the stack file running (orphans, with their network) until removeOrphans', async () => {
    const both = {
      services: { a: service('img:1', 1), old: { ...service('img:1', 2), networks: { back: {} } } },
      networks: { back: plainNetwork('back', 'bridge') },
    };
    expect((await c.api('PUT', '/v1/stacks/orph', { stack: both })).status).toBe(200);
    await waitFor('3 running', async () => (await running('orph')).length === 3);
    const onlyA = { services: { a: service('img:1', 1) } };
    const plan = await c.api<{ plan: unknown[] }>('POST', '/v1/stacks/orph/plan', { stack: onlyA });
    expect(plan.body.plan).toEqual([
      { service: 'a', action: 'unchanged', reasons: [] },
      {
        service: 'old',
        action: 'orphaned',
        reasons: ['not in stack file: kept, --remove-orphans removes it'],
      },
    ]);
    const kept = await c.api<{ plan: Array<{ action: string }> }>('PUT', '/v1/stacks/orph', { stack: onlyA });
    expect(kept.body.plan.map((p) => p.action)).toEqual(['unchanged', 'orphaned']);
    const stored = await c.api<{ spec: { services: object; networks: object } }>('GET', '/v1/stacks/orph');
    expect(Object.keys(stored.body.spec.services).sort()).toEqual(['a', 'old']);
    expect(Object.keys(stored.body.spec.networks)).toEqual(['back']);
    await new Promise((r) => setTimeout(r, 300));
    expect((await running('orph', 'old')).length).toBe(2);
    expect(agents.some((ag) => ag.set.networks.some((n) => n.id === 'orph_back'))).toBe(true);

    const removed = await c.api<{ plan: unknown[] }>('PUT', '/v1/stacks/orph', {
      stack: onlyA,
      removeOrphans: true,
    });
    expect(removed.body.plan).toContainEqual({
      service: 'old',
      action: 'remove',
      reasons: ['not in stack file'],
    });
    await waitFor('old gone', async () => (await tasks('orph')).every((t) => t.service === 'orph_a'));
    const after = await c.api<{ spec: { services: object; networks: object } }>('GET', '/v1/stacks/orph');
    expect(Object.keys(after.body.spec.services)).toEqual(['a']);
    expect(after.body.spec.networks).toEqual({});
    expect((await c.api('DELETE', '/v1/stacks/orph')).status).toBe(200);
  });

  it('refuses a stale deploy with 409 and a bad spec with 400 and every issue', async () => {
    const stale = await c.api('PUT', '/v1/stacks/web', {
      stack: { services: { api: service('img:1', 2) } },
      expectedVersion: 0,
    });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ error: { code: 'CONFLICT' } });
    const bad = await c.api<{ error: { issues: unknown[] } }>('PUT', '/v1/stacks/bad', {
      stack: {
        services: {
          a: { deploy: { replicas: -1 } },
          b: service('x', 1, { placement: { constraints: ['node.foo=1'] } }),
        },
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.length).toBe(3);
    expect((await c.api('GET', '/v1/stacks/nope')).status).toBe(404);
  });

  it('resumes the event stream after a disconnect with no gap and no duplicate', async () => {
    const first = new EventClient(c.url, c.token, '?since=0');
    await first.opened;
    await waitFor('history', async () => first.events.length > 10);
    const cut = first.events[5]!.id;
    first.close();
    await c.api('POST', '/v1/services/web/api/scale', { replicas: 3 });
    const second = new EventClient(c.url, c.token, `?since=${cut}`);
    await second.opened;
    await waitFor('scaled event', async () =>
      second.events.some((e) => e.type === 'service.scaled' && e.to === '3'),
    );
    const ids = [...first.events.slice(0, 6), ...second.events].map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    const all = new EventClient(c.url, c.token, '?since=0');
    await all.opened;
    await waitFor('all', async () => all.events.length >= ids.length);
    expect(all.events.slice(0, ids.length).map((e) => e.id)).toEqual(
      ids.slice(0, all.events.slice(0, ids.length).length),
    );
    second.close();
    all.close();
  });

  it('global services run one task per node; networks and task addresses reach the agents', async () => {
    const dep = await c.api('PUT', '/v1/stacks/g', {
      stack: {
        services: {
          mon: { image: 'mon', deploy: { mode: 'global' }, networks: { back: { aliases: ['m'] } } },
        },
        networks: { back: plainNetwork('back', 'bridge') },
      },
    });
    expect(dep).toMatchObject({ status: 200 });
    await waitFor('3 global tasks', async () => (await running('g')).length === 3);
    expect(new Set((await running('g')).map((t) => t.node)).size).toBe(3);
    const a = agents[0]!;
    await waitFor('network assignment', async () => a.set.networks.some((n) => n.id === 'g_back'));
    const t = a.set.tasks.find((x) => x.stack === 'g')!;
    expect(t.networks).toEqual([{ network: 'g_back', address: '', aliases: ['mon', 'm'] }]);
  });

  it('relays logs (NDJSON) and exec to the agent, serves /metrics with the token', async () => {
    const logs = await c.api<string>('GET', '/v1/services/web/api/logs?tail=10');
    expect(logs.status).toBe(200);
    const lines = String(logs.body)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { task: string; line: string });
    expect(lines.length).toBeGreaterThanOrEqual((await running('web')).length); // stopped tasks too
    expect(lines[0]!.line).toMatch(/^log of /);
    const task = (await running('web'))[0]!.task;
    const ws = new WebSocket(
      `${c.url.replace('http', 'ws')}/v1/exec?task=${task}&cmd=${encodeURIComponent('["echo","hi"]')}`,
      {
        headers: { authorization: `Bearer ${c.token}` },
      },
    );
    const msg = await new Promise<string>((resolve, reject) => {
      ws.once('message', (d) => resolve(String(d)));
      ws.once('error', reject);
    });
    expect(JSON.parse(msg)).toMatchObject({ done: true });
    ws.terminate();
    const stats = await c.api<Array<{ task: string; data: { cpuPercent: number } }>>(
      'GET',
      '/v1/services/web/api/stats',
    );
    expect(stats.body).toHaveLength((await running('web')).length);
    expect(stats.body[0]!.data.cpuPercent).toBe(1.5);
    const top = await c.api<Array<{ data: unknown[] }>>('GET', '/v1/services/web/api/top');
    expect(top.body[0]!.data).toEqual([{ pid: 1, cmd: 'sleep' }]);
    const m = await c.api<string>('GET', '/metrics');
    expect(m.status).toBe(200);
    expect(String(m.body)).toMatch(/tsstack_controller_leader 1/);
    expect(String(m.body)).toMatch(/tsstack_controller_agents_connected 3/);
    expect((await c.api('GET', '/metrics', undefined, null)).status).toBe(401);
    const doc = await c.api<{ openapi: string; paths: Record<string, unknown> }>('GET', '/docs-json');
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/v1/stacks/{name}', '/v1/tasks']));
    expect((await c.api('GET', '/docs-json', undefined, null)).status).toBe(401);
  });

  it('an agent reconnecting with its credential is the same node and gets a full set again', async () => {
    const a = agents[1]!;
    const id = a.nodeId;
    const fulls = a.fulls.length;
    a.kill();
    await a.connect();
    expect(a.nodeId).toBe(id);
    await waitFor('full set', async () => a.fulls.length > fulls);
    expect((await c.api<unknown[]>('GET', '/v1/nodes')).body).toHaveLength(3);
  });

  it('overlay networks: subnet, VNI, task addresses, VIPs and cluster-wide endpoints reach every agent', async () => {
    const net = plainNetwork('mesh', 'overlay');
    const dep = await c.api('PUT', '/v1/stacks/ov', {
      stack: {
        services: {
          web: {
            image: 'web',
            deploy: { replicas: 3 },
            networks: { mesh: { aliases: [] } },
            ports: [{ target: 80, published: 8080, protocol: 'tcp', mode: 'ingress' }],
          },
          db: {
            image: 'db',
            deploy: { replicas: 1, endpointMode: 'dnsrr' },
            networks: { mesh: { aliases: ['database'], ipv4Address: '10.250.0.9' } },
          },
        },
        networks: { mesh: { ...net, ipam: [{ subnet: '10.250.0.0/24' }] } },
      },
    });
    expect(dep.status).toBe(200);
    await waitFor('4 running', async () => (await running('ov')).length === 4);
    const sets = await waitFor('endpoints everywhere', async () => {
      const found = agents.map((a) => a.set.networks.find((n) => n.id === 'ov_mesh'));
      const withTasks = agents.filter((a) =>
        a.set.tasks.some((t) => t.stack === 'ov' && t.desiredState === 512),
      );
      const ok = withTasks.every(
        (a) =>
          a.set.networks.find((n) => n.id === 'ov_mesh')?.endpoints.filter((e) => e.serving).length === 4,
      );
      return ok && withTasks.length > 0 ? found.filter(Boolean) : undefined;
    });
    const a = sets[0]!;
    expect(a.spec.driver).toBe('overlay');
    expect(a.subnet).toBe('10.250.0.0/24');
    expect(a.vni).toBeGreaterThanOrEqual(4096);
    expect(Object.keys(a.vips)).toEqual(['web']);
    const addrs = a.endpoints.map((e) => e.address);
    expect(new Set(addrs).size).toBe(4);
    expect(addrs).toContain('10.250.0.9');
    expect(addrs.every((x) => x.startsWith('10.250.0.'))).toBe(true);
    expect(new Set(a.endpoints.map((e) => e.nodeId)).size).toBeGreaterThan(1);
    expect(a.nodeEndpoints!.length).toBe(new Set(a.endpoints.map((e) => e.nodeId)).size);
    const dbEp = a.endpoints.find((e) => e.service === 'db')!;
    expect(dbEp.aliases).toEqual(['db', 'database']);
    expect(dbEp.mac).toBe('02:42:0a:fa:00:09');
    for (const g of agents) {
      await waitFor('ingress', async () =>
        g.set.ingress.some((p) => p.published === 8080 && p.service === 'web'),
      );
    }
    await c.api('POST', '/v1/services/ov/web/scale', { replicas: 1 });
    await waitFor('endpoints follow the scale', async () =>
      agents.some((g) => g.set.networks.find((n) => n.id === 'ov_mesh')?.endpoints.length === 2),
    );
  });

  it('a removed task is shown not serving on every node before its own agent is told to stop it (drain)', async () => {
    const mesh = plainNetwork('mesh', 'overlay');
    const deploy = (replicas: number) =>
      c.api('PUT', '/v1/stacks/dr', {
        stack: {
          services: { web: { image: 'web', deploy: { replicas }, networks: { mesh: { aliases: [] } } } },
          networks: { mesh: { ...mesh, ipam: [{ subnet: '10.251.0.0/24' }] } },
        },
      });
    expect((await deploy(2)).status).toBe(200);
    await waitFor('2 running', async () => (await running('dr')).length === 2);
    const before = new Set((await running('dr')).map((t) => t.task));
    const notServingAt = new Map<string, number>();
    let stopSentAt = 0;
    let victim = '';
    const poll = setInterval(() => {
      for (const a of agents) {
        const ep = a.set.networks.find((n) => n.id === 'dr_mesh')?.endpoints ?? [];
        for (const e of ep)
          if (!e.serving && !notServingAt.has(a.nodeId)) notServingAt.set(a.nodeId, Date.now());
        const mine = a.set.tasks.find((t) => t.stack === 'dr' && t.desiredState > 512);
        if (mine && !stopSentAt) [stopSentAt, victim] = [Date.now(), mine.id];
      }
    }, 10);
    try {
      await c.api('POST', '/v1/services/dr/web/scale', { replicas: 1 });
      await waitFor('the stop reached the agent', async () => stopSentAt > 0);
    } finally {
      clearInterval(poll);
    }
    expect(before.has(victim)).toBe(true);
    const withNet = agents.filter((a) => a.set.networks.some((n) => n.id === 'dr_mesh'));
    expect(withNet.length).toBeGreaterThan(0);
    for (const a of withNet) {
      const at = notServingAt.get(a.nodeId);
      expect(at).toBeDefined();
      expect(stopSentAt - at!).toBeGreaterThanOrEqual(700); // default drain 1 s, 10 ms polling
    }
  });
});
