// Integration (root): the real controller (embedded redis-server) and a real agent that runs containers with
// the native core. Health-check failures get the task replaced; a crashing container is restarted by policy
// with growing delays; an agent killed and started again converges with no duplicate and no restarted
// container; secrets never reach persistent disk. The agent's network port here only makes each task's
// namespace (loopback), so no bridge or rule touches this machine's own network namespace.
import { spawnSync } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { StackSpec, TaskRow } from '@tsstack/model';
import { runtimeStateRoot } from '@tsstack/node-agent';
import { ContainerRuntime } from '@tsstack/runtime';
import { BUSYBOX_REFERENCE } from '@tsstack/testkit';
import { waitFor, type Ctl } from '../controller/controller-kit';
import { startAgentRig, type AgentRig } from './agent-rig';

describe('agent with the real controller and the native runtime (root)', () => {
  let dir: string;
  let c: Ctl;
  let netnsDir: string;
  let rig: AgentRig | undefined;
  const deploy = (name: string, yaml: string): Promise<StackSpec> => rig!.deploy(name, yaml);
  const tasks = async (stack: string) =>
    (await c.api<TaskRow[]>('GET', `/v1/tasks?stack=${stack}&all=1`)).body;

  beforeAll(async () => {
    rig = await startAgentRig('agent-ctl');
    ({ dir, c, netnsDir } = rig);
    await rig.start();
  });
  afterAll(() => rig?.close());

  it('a task whose health check fails is replaced by a new task in its slot', async () => {
    await deploy(
      'sick',
      `services:
  web:
    image: ${BUSYBOX_REFERENCE}
    command: ['sleep', '600']
    healthcheck: { test: ['CMD', 'false'], interval: 200ms, timeout: 1s, retries: 2 }
`,
    );
    const replaced = await waitFor(
      'the unhealthy task replaced',
      async () => {
        const slot1 = (await tasks('sick')).filter((t) => t.slot === 1);
        return slot1.length >= 2 && slot1.some((t) => t.state === 'failed' && t.error === 'unhealthy container') ? slot1 : undefined; // prettier-ignore
      },
      30_000,
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}; tasks: ${JSON.stringify(await tasks('sick'))}`);
    });
    expect(new Set(replaced.map((t) => t.task)).size).toBe(replaced.length);
    await c.api('DELETE', '/v1/stacks/sick');
  });

  it('a crashing container is restarted by its policy, with growing delays, up to max_attempts', async () => {
    const deployedAt = Date.now();
    await deploy(
      'crash',
      `services:
  job:
    image: ${BUSYBOX_REFERENCE}
    command: ['sh', '-c', 'exit 3']
    deploy:
      restart_policy: { condition: on-failure, delay: 300ms, max_attempts: 3 }
`,
    );
    const all = await waitFor(
      '1 run + 3 restarts, all failed',
      async () => {
        const t = (await tasks('crash')).filter((x) => x.slot === 1);
        return t.length === 4 && t.every((x) => x.state === 'failed') ? t : undefined;
      },
      40_000,
    );
    expect(all.every((t) => t.exitCode === 3)).toBe(true);
    // Backoff: each restart waits longer than the one before (delay 300 ms, doubled per attempt).
    expect(all.map((t) => t.error)).toEqual(all.map(() => 'exit code 3'));
    // Backoff: restarts wait 300, 600 and 1200 ms (the delay doubled per attempt), 2.1 s at least in all;
    // a fixed delay would have taken 0.9 s.
    expect(Date.now() - deployedAt).toBeGreaterThanOrEqual(2100);
    await new Promise((r) => setTimeout(r, 2000));
    expect((await tasks('crash')).filter((x) => x.slot === 1)).toHaveLength(4);
    await c.api('DELETE', '/v1/stacks/crash');
  });

  it('an agent killed and started again converges: same containers, no duplicate, no restart', async () => {
    await fs.writeFile(path.join(dir, 'token.txt'), 'S3CRET-steady');
    await deploy(
      'steady',
      `services:
  app:
    image: ${BUSYBOX_REFERENCE}
    command: ['sleep', '600']
    deploy: { replicas: 3 }
    secrets: [token]
secrets:
  token:
    file: ./token.txt
`,
    );
    const running = async () => (await tasks('steady')).filter((t) => t.state === 'running');
    const before = await waitFor('3 running', async () => ((await running()).length === 3 ? running() : undefined), 30_000); // prettier-ignore
    await rig!.agent!.close(); // as a SIGKILL would: containers keep running under their shims
    rig!.agent = undefined;
    await rig!.start();
    await new Promise((r) => setTimeout(r, 1500));
    const after = await running();
    expect(after.map((t) => `${t.task}:${t.containerId}`).sort()).toEqual(before.map((t) => `${t.task}:${t.containerId}`).sort()); // prettier-ignore
    const rt = new ContainerRuntime({ stateRoot: runtimeStateRoot(path.join(dir, 'agent')) });
    const steady = (await rt.list()).filter((x) => x.labels['io.tsstack.stack'] === 'steady');
    expect(steady.filter((x) => x.status === 'running')).toHaveLength(3);
    // The secret's bytes exist only on the tmpfs: nowhere under the agent's state dir on disk.
    const found = spawnSync('grep', ['-rl', '--exclude-dir=secrets', 'S3CRET-steady', path.join(dir, 'agent')], { encoding: 'utf8' }); // prettier-ignore
    expect(found.stdout).toBe('');
    const inContainer = await rt.execCollect(before[0].containerId!, { args: ['cat', '/run/secrets/token'] });
    expect(inContainer.stdout).toBe('S3CRET-steady');
    await c.api('DELETE', '/v1/stacks/steady');
    await waitFor('containers gone', async () => (await rt.list()).every((x) => x.labels['io.tsstack.stack'] !== 'steady'), 20_000); // prettier-ignore
  });

  it('leaves no task namespace mounted once its stacks are removed', async () => {
    await waitFor('task namespaces gone', async () => !readFileSync('/proc/self/mountinfo', 'utf8').includes(`${netnsDir}/`), 30_000); // prettier-ignore
  });
});
