// Integration (root): the real controller (embedded redis-server) and a real node agent (startAgent) whose
// container runtime is a small in-test fake implementing ContainerRuntimePort. A stack deploys, scales up and
// down, tasks run, and the event stream shows it.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { AssignmentSet, Task, TaskRow } from '@tsstack/model';
import { requireCommand, requireRoot } from '@tsstack/testkit';
import {
  TASK_ID_LABEL,
  cleanupAgent,
  startAgent,
  type AgentHandle,
  type ContainerRuntimePort,
  type ExitInfo,
  type ObservedContainer,
  type TaskController,
} from '@tsstack/node-agent';
import { EventClient, ctl, service, tempDir, waitFor, type Ctl } from './controller-kit';

/** Containers as records; `wait` resolves when the container is stopped or removed. */
class FakeRuntime implements ContainerRuntimePort {
  readonly containers = new Map<
    string,
    { taskId: string; running: boolean; exit: (e: ExitInfo) => void; exited: Promise<ExitInfo> }
  >();
  starts = 0;

  async list(): Promise<ObservedContainer[]> {
    return [...this.containers.entries()].map(([id, c]) => ({
      id,
      labels: { [TASK_ID_LABEL]: c.taskId },
      running: c.running,
    }));
  }

  controllerFor(task: Task, _set: AssignmentSet, adoptContainerId?: string): TaskController {
    const id = adoptContainerId ?? `ctr-${task.id}`;
    const get = () => this.containers.get(id);
    const stop = (code: number) => {
      const c = get();
      if (c && c.running) {
        c.running = false;
        c.exit({ exitCode: code });
      }
    };
    return {
      prepare: async () => {
        if (get()) return;
        let exit!: (e: ExitInfo) => void;
        const exited = new Promise<ExitInfo>((r) => (exit = r));
        this.containers.set(id, { taskId: task.id, running: false, exit, exited });
      },
      start: async () => {
        const c = get()!;
        c.running = true;
        this.starts++;
        return { containerId: id, pid: 1000 + this.starts };
      },
      wait: async () => (get() ? get()!.exited : { exitCode: 137 }),
      shutdown: async () => stop(0),
      terminate: async () => stop(137),
      remove: async () => {
        stop(137);
        this.containers.delete(id);
      },
    };
  }

  async removeContainer(containerId: string): Promise<void> {
    const c = this.containers.get(containerId);
    if (c?.running) {
      c.running = false;
      c.exit({ exitCode: 137, signal: 'SIGKILL' });
    }
    this.containers.delete(containerId);
  }

  runningCount(): number {
    return [...this.containers.values()].filter((c) => c.running).length;
  }
}

describe('controller + real node agent with a fake runtime (root)', () => {
  let dir: string;
  let c: Ctl;
  let agent: AgentHandle;
  const runtime = new FakeRuntime();

  beforeAll(async () => {
    requireRoot();
    requireCommand('redis-server', 'redis-server');
    dir = await tempDir('tsstack-e2e-');
    c = await ctl(dir, { stoppingGraceMs: 1500 });
    agent = await startAgent({
      controllerUrl: c.url,
      joinToken: c.joinToken,
      stateDir: path.join(dir, 'agent'),
      name: 'host-1',
      runtime,
    });
  });
  afterAll(async () => {
    await agent?.close();
    await cleanupAgent(path.join(dir, 'agent'), runtime).catch(() => undefined);
    await c?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('joins, deploys a stack, scales it, sees tasks running and events streamed', async () => {
    const nodes = (await c.api<Array<{ id: string; hostname: string; status: string }>>('GET', '/v1/nodes'))
      .body;
    expect(nodes).toEqual([
      expect.objectContaining({ id: agent.nodeId, hostname: 'host-1', status: 'ready' }),
    ]);
    const ev = new EventClient(c.url, c.token, '?stack=shop&type=task');
    await ev.opened;
    const dep = await c.api('PUT', '/v1/stacks/shop', {
      stack: { services: { web: service('busybox', 2) } },
    });
    expect(dep.status).toBe(200);
    const running = async () =>
      (await c.api<TaskRow[]>('GET', '/v1/tasks?stack=shop')).body.filter((t) => t.state === 'running');
    await waitFor(
      '2 tasks running',
      async () => (await running()).length === 2 && runtime.runningCount() === 2,
    );
    expect((await running()).every((t) => t.containerId?.startsWith('ctr-'))).toBe(true);
    await c.api('POST', '/v1/services/shop/web/scale', { replicas: 4 });
    await waitFor('4 running', async () => (await running()).length === 4 && runtime.runningCount() === 4);
    // Scale down: the agent stops (or, after the grace, removes) the containers of slots 3 and 4.
    await c.api('POST', '/v1/services/shop/web/scale', { replicas: 1 });
    await waitFor(
      '1 running',
      async () => (await running()).length === 1 && runtime.runningCount() === 1,
      15_000,
    );
    expect((await running())[0]!.slot).toBe(1);
    const states = ev.events.filter((e) => e.type === 'task.state').map((e) => e.to);
    expect(states).toEqual(expect.arrayContaining(['accepted', 'preparing', 'ready', 'starting', 'running']));
    expect(ev.events.every((e) => e.type.startsWith('task') && e.stack === 'shop')).toBe(true);
    ev.close();
  });

  it('a controller restart (same data dir, owned Redis restarted) and an agent restart restart no container', async () => {
    const running = async () =>
      (await c.api<TaskRow[]>('GET', '/v1/tasks?stack=shop')).body.filter((t) => t.state === 'running');
    await waitFor('1 running', async () => (await running()).length === 1 && runtime.runningCount() === 1);
    const before = (await running()).map((t) => t.task);
    const starts = runtime.starts;
    // Controller restart on the same port and data dir: the owned redis-server stops and starts again (AOF).
    const port = new URL(c.url).port;
    await c.close();
    c = await ctl(dir, { stoppingGraceMs: 1500, listen: `127.0.0.1:${port}` });
    await waitFor(
      'agent back',
      async () => {
        const n = (await c.api<Array<{ status: string }>>('GET', '/v1/nodes')).body;
        return n.length === 1 && n[0]!.status === 'ready';
      },
      15_000,
    );
    await new Promise((r) => setTimeout(r, 1000));
    expect((await running()).map((t) => t.task)).toEqual(before);
    expect(runtime.starts).toBe(starts);
    // Agent restart on the same state dir: the running container is adopted, not restarted.
    await agent.close();
    agent = await startAgent({
      controllerUrl: c.url,
      joinToken: c.joinToken,
      stateDir: path.join(dir, 'agent'),
      name: 'host-1',
      runtime,
    });
    await new Promise((r) => setTimeout(r, 1000));
    expect((await running()).map((t) => t.task)).toEqual(before);
    expect(runtime.starts).toBe(starts);
    expect(runtime.runningCount()).toBe(1);
    // And it still follows changes.
    await c.api('POST', '/v1/services/shop/web/scale', { replicas: 2 });
    await waitFor('2 running', async () => (await running()).length === 2 && runtime.runningCount() === 2);
  });
});
