// Integration: rolling updates through the API with fake agents on a real controller: each order, the
// failure actions pause / continue / rollback, `service rollback`, `service restart`, and a redeploy that
// touches only the service whose spec changed.
import { promises as fs } from 'node:fs';
import { requireCommand } from '@tsstack/testkit';
import type { TaskRow } from '@tsstack/model';
import { FakeAgent } from './fake-agent';
import { ctl, service, tempDir, waitFor, type Ctl } from './controller-kit';

interface SvcView {
  updateState?: string;
  specVersion: number;
  updateStatus?: { state: string; failedTasks: string[]; message?: string };
}

describe('rolling updates (controller + fake agents)', () => {
  let dir: string;
  let c: Ctl;
  const agents: FakeAgent[] = [];

  beforeAll(async () => {
    requireCommand('redis-server', 'redis-server');
    dir = await tempDir('tsstack-upd-');
    c = await ctl(dir);
    for (const h of ['a', 'b', 'c']) {
      // Tasks of image "bad:*" crash right after starting.
      agents.push(
        await FakeAgent.join(c.url, c.joinToken, {
          hostname: h,
          behave: (t) => (t.spec.image.startsWith('bad') ? 'fail' : 'run'),
        }),
      );
    }
  });
  afterAll(async () => {
    for (const a of agents) await a.close();
    await c?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const tasks = async (stack: string) => (await c.api<TaskRow[]>('GET', `/v1/tasks?stack=${stack}`)).body;
  const svc = async (stack: string, name: string) =>
    (await c.api<SvcView>('GET', `/v1/services/${stack}/${name}`)).body;
  const allOn = async (stack: string, image: string, n: number) => {
    const t = await tasks(stack);
    return t.length === n && t.every((x) => x.state === 'running' && x.image === image);
  };
  const upd = (extra: Record<string, unknown>) => ({ parallelism: 2, delayMs: 0, monitorMs: 300, ...extra });

  it.each(['stop-first', 'start-first'])('%s: replaces every task and completes', async (order) => {
    const stack = `o${order.slice(0, 4)}`;
    const deploy = (image: string) =>
      c.api('PUT', `/v1/stacks/${stack}`, {
        stack: {
          services: { api: service(image, 4, { updateConfig: upd({ order }) }), db: service('db:1', 1) },
        },
      });
    await deploy('img:1');
    await waitFor('v1 running', () =>
      allOn(stack, 'img:1', 4).then(async (ok) => ok || (await tasks(stack)).length === 5),
    );
    await waitFor(
      'v1 all',
      async () => (await tasks(stack)).filter((t) => t.state === 'running').length === 5,
    );
    const dbTask = (await tasks(stack)).find((t) => t.service === `${stack}_db`)!.task;
    let minRunning = 99;
    const poll = setInterval(() => {
      void tasks(stack).then(
        (t) =>
          (minRunning = Math.min(
            minRunning,
            t.filter((x) => x.service === `${stack}_api` && x.state === 'running').length,
          )),
      );
    }, 20);
    await deploy('img:2');
    await waitFor('completed', async () => (await svc(stack, 'api')).updateState === 'completed');
    clearInterval(poll);
    const t = await tasks(stack);
    expect(
      t
        .filter((x) => x.service === `${stack}_api`)
        .every((x) => x.image === 'img:2' && x.state === 'running'),
    ).toBe(true);
    // Only the changed service was touched.
    expect(t.find((x) => x.service === `${stack}_db`)!.task).toBe(dbTask);
    if (order === 'start-first') expect(minRunning).toBeGreaterThanOrEqual(4);
    else expect(minRunning).toBeGreaterThanOrEqual(2); // parallelism 2: at most 2 down at once
  });

  it.each([
    ['pause', 'paused'],
    ['continue', 'completed'],
    ['rollback', 'rollback_completed'],
  ])('failure_action %s -> %s', async (failureAction, final) => {
    const stack = `f${failureAction}`;
    const deploy = (image: string) =>
      c.api('PUT', `/v1/stacks/${stack}`, {
        stack: {
          services: {
            api: service(image, 3, {
              updateConfig: upd({ parallelism: 1, failureAction, monitorMs: 2000 }),
              restartPolicy: { condition: 'none' },
            }),
          },
        },
      });
    await deploy('good:1');
    await waitFor('good running', () => allOn(stack, 'good:1', 3));
    await deploy('bad:1');
    const v = await waitFor(
      `state ${final}`,
      async () => {
        const s = await svc(stack, 'api');
        return s.updateState === (final === 'rollback_completed' ? 'rollback_completed' : final)
          ? s
          : undefined;
      },
      20_000,
    );
    expect(v.updateStatus!.state).toBe(final);
    const t = await tasks(stack);
    if (failureAction === 'pause') {
      expect(t.filter((x) => x.image === 'good:1' && x.state === 'running')).toHaveLength(2);
      expect(v.updateStatus!.message).toMatch(/update paused: 1 of 3/);
    }
    if (failureAction === 'rollback')
      expect(t.every((x) => x.image === 'good:1' && x.state === 'running')).toBe(true);
  });

  it('service rollback and service restart (forced rolling replacement)', async () => {
    const stack = 'rb';
    const deploy = (image: string) =>
      c.api('PUT', `/v1/stacks/${stack}`, {
        stack: { services: { api: service(image, 2, { updateConfig: upd({ monitorMs: 0 }) }) } },
      });
    await deploy('img:1');
    await waitFor('v1', () => allOn(stack, 'img:1', 2));
    await deploy('img:2');
    await waitFor(
      'v2',
      async () => (await svc(stack, 'api')).updateState === 'completed' && allOn(stack, 'img:2', 2),
    );
    expect((await c.api('POST', `/v1/services/${stack}/api/rollback`)).status).toBe(200);
    await waitFor(
      'rolled back',
      async () => (await svc(stack, 'api')).updateState === 'rollback_completed' && allOn(stack, 'img:1', 2),
    );
    const before = (await tasks(stack)).map((t) => t.task);
    expect((await c.api('POST', `/v1/services/${stack}/api/restart`)).status).toBe(200);
    await waitFor('restarted', async () => {
      const t = await tasks(stack);
      return (
        t.length === 2 &&
        t.every((x) => x.state === 'running' && !before.includes(x.task)) &&
        (await svc(stack, 'api')).updateState === 'completed'
      );
    });
    expect((await c.api('POST', '/v1/services/rb/nope/rollback')).status).toBe(404);
  });
});
