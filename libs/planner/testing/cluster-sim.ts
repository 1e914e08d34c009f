// Test support for the planner (pure): node/spec/service builders and a tiny cluster simulation that plans,
// applies the plan and lets fake agents act, round after round. Used by the orchestrator's unit and
// property tests.
import {
  DEFAULT_RESTART_POLICY,
  DEFAULT_UPDATE_CONFIG,
  TaskState,
  isTerminal,
  type ClusterNode,
  type ServiceSpec,
  type Task,
} from '@tsstack/model';
import { hasHealthcheck, planCluster, type ServiceState, type UpdateProgress } from '../index';

export function node(id: string, over: Partial<ClusterNode> = {}): ClusterNode {
  return {
    id,
    hostname: `h-${id}`,
    role: 'worker',
    labels: {},
    availability: 'active',
    status: 'ready',
    address: '10.0.0.1',
    resources: { nanoCpus: 4e9, memoryBytes: 8 * 2 ** 30 },
    lastHeartbeat: 0,
    ...over,
  };
}

export function spec(over: Partial<ServiceSpec['deploy']> = {}, image = 'img:1'): ServiceSpec {
  return {
    name: 'web',
    image,
    resources: { limits: {}, reservations: {} },
    deploy: {
      mode: 'replicated',
      replicas: 3,
      endpointMode: 'vip',
      placement: { constraints: [], preferences: [] },
      updateConfig: { ...DEFAULT_UPDATE_CONFIG, monitorMs: 0 },
      rollbackConfig: { ...DEFAULT_UPDATE_CONFIG, monitorMs: 0 },
      restartPolicy: { ...DEFAULT_RESTART_POLICY, delayMs: 0 },
      labels: {},
      ...over,
    },
  } as unknown as ServiceSpec;
}

export function svc(
  s: ServiceSpec,
  version = 1,
  hash = s.image,
  extra: Partial<ServiceState> = {},
): ServiceState {
  return { key: 'st/web', stack: 'st', name: 'web', spec: s, specHash: hash, specVersion: version, ...extra };
}

/** A tiny cluster simulation: plan, apply, let agents act, repeat. */
export class Sim {
  tasks = new Map<string, Task>();
  progress: Record<string, UpdateProgress | undefined> = {};
  now = 1_000_000;
  ids = 0;
  rollbacks: string[] = [];
  /**
   * Decides how a task started by an agent behaves. Tasks with a health check report 'starting' when they
   * start, then 'healthy' on the next tick ('run'), or fail as 'unhealthy container' `unhealthyAfterMs`
   * after starting ('unhealthy', as the agent does).
   */
  behave: (t: Task) => 'run' | 'fail' | 'reject' | 'unhealthy' = () => 'run';
  unhealthyAfterMs = 3500;
  constructor(
    public nodes: ClusterNode[],
    public services: ServiceState[],
  ) {}

  plan() {
    const p = planCluster({
      now: this.now,
      services: this.services,
      progress: this.progress,
      tasks: [...this.tasks.values()],
      nodes: this.nodes,
      newId: () => `t${String(++this.ids).padStart(4, '0')}`,
    });
    for (const t of p.upserts) this.tasks.set(t.id, t);
    for (const id of p.deletes) this.tasks.delete(id);
    Object.assign(this.progress, p.progress);
    this.rollbacks.push(...p.rollbacks);
    return p;
  }

  /** Agents: one step per tick for every assigned task on a ready node. */
  agents(): void {
    for (const t of this.tasks.values()) {
      const n = this.nodes.find((x) => x.id === t.nodeId);
      if (!n || n.status !== 'ready' || t.status.state < TaskState.Assigned || isTerminal(t.status.state))
        continue;
      const set = (state: TaskState, extra: Partial<Task['status']> = {}) =>
        this.tasks.set(t.id, { ...t, status: { ...t.status, ...extra, state, timestamp: this.now } });
      if (t.desiredState >= TaskState.Shutdown) set(TaskState.Shutdown, { finishedAt: this.now });
      else if (t.status.state < TaskState.Running) {
        const b = this.behave(t);
        if (b === 'reject') set(TaskState.Rejected, { error: 'no such image', finishedAt: this.now });
        else {
          const health = hasHealthcheck(t.spec) ? 'starting' : t.status.health;
          set(TaskState.Running, { startedAt: this.now, health });
        }
      } else if (this.behave(t) === 'fail') set(TaskState.Failed, { exitCode: 1, finishedAt: this.now });
      else if (t.status.health === 'starting' && hasHealthcheck(t.spec)) {
        if (this.behave(t) === 'run') set(TaskState.Running, { health: 'healthy' });
        else if (this.now - (t.status.startedAt ?? this.now) >= this.unhealthyAfterMs)
          set(TaskState.Failed, { health: 'unhealthy', error: 'unhealthy container', finishedAt: this.now });
      }
    }
  }

  run(ticks: number, stepMs = 100): void {
    for (let i = 0; i < ticks; i++) {
      this.plan();
      this.agents();
      this.now += stepMs;
    }
  }

  live(): Task[] {
    return [...this.tasks.values()].filter((t) => t.desiredState === TaskState.Running);
  }
  running(hash?: string): Task[] {
    return this.live().filter((t) => t.status.state === TaskState.Running && (!hash || t.specHash === hash));
  }
}
