// Scenarios 3 and 4 of issue 10 on one 3-host cluster: a start-first rolling update of web while a client
// hits the published port on every host (zero failed requests), then an update whose new version never
// becomes healthy, rolled back automatically while the old version keeps serving every request.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { requireCommand, requireRoot } from '@tsstack/testkit';
import { sweepStale } from './harness';
import { startControlPlane, until, type ControlPlane } from './control-plane';
import { psTasks, runningOf } from './cluster-checks';
import { startLoad, type LoadResult } from './load';
import { webStack } from './stacks';

describe('cluster: rolling updates under load', () => {
  let cp: ControlPlane | undefined;
  let file = '';

  const deploy = (yml: string, wait = true) => {
    const c = cp as ControlPlane;
    fs.writeFileSync(file, yml);
    const r = c.cli(['up', '-f', file, ...(wait ? ['--wait', '--timeout', '120'] : ['-d'])]);
    if (r.status !== 0) throw new Error(`up failed: ${r.stdout}\n${r.stderr}`);
  };

  beforeAll(async () => {
    requireRoot();
    requireCommand('redis-server', 'redis-server');
    requireCommand('curl', 'curl');
    sweepStale();
    cp = await startControlPlane({ hosts: 3 });
    file = path.join(cp.cluster.root, 'roll.yml');
    deploy(webStack('v1'));
  }, 240_000);

  afterAll(async () => {
    await cp?.teardown();
  }, 120_000);

  test('3. start-first rolling update of web, parallelism 1, while a client sends requests: zero failed', async () => {
    const c = cp as ControlPlane;
    const load = startLoad(c, 8080);
    await new Promise((r) => setTimeout(r, 2000));
    deploy(webStack('v2'));
    await until(
      'every web task on v2',
      () => {
        const t = runningOf(psTasks(c, 'roll'));
        return t.length === 3 && t.every((x) => x.specVersion === 2) ? true : undefined;
      },
      120_000,
      500,
    );
    await new Promise((r) => setTimeout(r, 2000));
    const res: LoadResult = await load.stop();
    process.stdout.write(
      `cluster update: ${JSON.stringify({ requests: res.requests, failed: res.failed })}\n`,
    );
    expect(res.requests).toBeGreaterThan(50);
    expect({ errors: res.errors, logs: res.failed ? c.logs() : '' }).toEqual({ errors: [], logs: '' });
    expect(res.failed).toBe(0);
    expect(res.bodies.v2).toBeGreaterThan(0);
  }, 240_000);

  test('4. an update that never becomes healthy rolls back by itself; the old version serves throughout', async () => {
    const c = cp as ControlPlane;
    const load = startLoad(c, 8080);
    await new Promise((r) => setTimeout(r, 1000));
    deploy(webStack('v3', { healthy: false, rollback: true }), false);
    const state = await until(
      'the update to be rolled back',
      () => {
        const s = JSON.stringify(c.api('GET', '/v1/services/roll/web'));
        return /rollback_completed/.test(s) ? s : undefined;
      },
      90_000,
      1000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${JSON.stringify(psTasks(c, 'roll', true))}\n${c.logs()}`);
    });
    expect(state).toMatch(/rollback_completed/);
    await until(
      'three healthy v2 tasks again',
      () => {
        const t = runningOf(psTasks(c, 'roll'));
        return t.length === 3 && t.every((x) => x.health === 'healthy') ? true : undefined;
      },
      60_000,
      500,
    );
    const res = await load.stop();
    expect(res.errors).toEqual([]);
    expect(res.failed).toBe(0);
    expect(Object.keys(res.bodies)).toEqual(['v2']);
  }, 240_000);
});
