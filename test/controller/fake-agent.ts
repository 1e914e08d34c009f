// Test and bench helper: an in-process agent that speaks the agent protocol (libs/model protocol.ts) and runs
// no containers. It joins with the join token, heartbeats, applies full sets and versioned deltas, and moves
// each assigned task to running (or to failed/rejected, as `behave` says) and stops tasks whose desired
// state is shutdown/remove. `kill()` drops the connection without a word, like a dead host.
import WebSocket from 'ws';
import {
  TaskState,
  isTerminal,
  type AgentMessage,
  type AssignmentSet,
  type ControllerMessage,
  type Task,
  type TaskStatus,
} from '@tsstack/model';

export type Behaviour = 'run' | 'fail' | 'reject' | 'exit0' | 'hang';

export interface FakeAgentOptions {
  hostname: string;
  labels?: Record<string, string>;
  resources?: { nanoCpus: number; memoryBytes: number };
  /** How a task behaves once started; default 'run'. */
  behave?: (t: Task) => Behaviour;
  /** Delay between steps of one task (ms). */
  stepMs?: number;
}

export class FakeAgent {
  nodeId = '';
  credential = '';
  set: AssignmentSet = {
    version: 0,
    tasks: [],
    networks: [],
    volumes: [],
    configs: {},
    secrets: {},
    ingress: [],
  };
  readonly states = new Map<string, TaskState>();
  readonly fulls: number[] = [];
  private ws?: WebSocket;
  private hb?: NodeJS.Timeout;
  private closed = false;
  behave: (t: Task) => Behaviour;

  constructor(
    private readonly url: string,
    private readonly joinToken: string,
    private readonly opts: FakeAgentOptions,
  ) {
    this.behave = opts.behave ?? (() => 'run');
  }

  static async join(url: string, joinToken: string, opts: FakeAgentOptions): Promise<FakeAgent> {
    const a = new FakeAgent(url, joinToken, opts);
    await a.connect();
    return a;
  }

  /** Connect (again): with the credential once joined. Resolves on welcome, rejects on reject. */
  connect(): Promise<void> {
    this.closed = false;
    const ws = new WebSocket(this.url.replace(/^http/, 'ws') + '/v1/agent');
    this.ws = ws;
    return new Promise((resolve, reject) => {
      ws.on('open', () => {
        const base = {
          type: 'hello' as const,
          hostname: this.opts.hostname,
          address: '127.0.0.1',
          labels: this.opts.labels ?? {},
          resources: this.opts.resources ?? { nanoCpus: 4e9, memoryBytes: 8 * 2 ** 30 },
          agentVersion: 'fake',
          hostRoutes: [],
        };
        this.send(
          this.nodeId
            ? { ...base, nodeId: this.nodeId, credential: this.credential }
            : { ...base, joinToken: this.joinToken },
        );
      });
      ws.on('message', (raw) => {
        const m = JSON.parse(raw.toString()) as ControllerMessage;
        if (m.type === 'welcome') {
          this.nodeId = m.node.id;
          this.credential = m.credential;
          clearInterval(this.hb);
          this.hb = setInterval(() => this.send({ type: 'heartbeat' }), m.heartbeatMs);
          resolve();
        } else if (m.type === 'reject') {
          reject(new Error(m.reason));
        } else if (m.type === 'assignments.full') {
          this.fulls.push(m.set.version);
          this.set = m.set;
          this.act();
        } else if (m.type === 'assignments.delta') {
          if (m.baseVersion !== this.set.version) {
            this.send({ type: 'resync' });
            return;
          }
          const rm = new Set([...m.removeTasks, ...m.upsertTasks.map((t) => t.id)]);
          const rmN = new Set([...m.removeNetworks, ...m.upsertNetworks.map((n) => n.id)]);
          this.set = {
            ...this.set,
            version: m.version,
            tasks: this.set.tasks.filter((t) => !rm.has(t.id)).concat(m.upsertTasks),
            networks: this.set.networks.filter((n) => !rmN.has(n.id)).concat(m.upsertNetworks),
            volumes: m.volumes ?? this.set.volumes,
            configs: m.configs ?? this.set.configs,
            secrets: m.secrets ?? this.set.secrets,
            ingress: m.ingress ?? this.set.ingress,
          };
          this.act();
        } else if (m.type === 'request') {
          const logs = [
            { task: m.taskId, stream: 'stdout', time: new Date().toISOString(), line: `log of ${m.taskId}` },
          ];
          this.send({
            type: 'response',
            requestId: m.requestId,
            done: true,
            data:
              m.op === 'stats'
                ? { cpuPercent: 1.5, memoryBytes: 1024 }
                : m.op === 'top'
                  ? [{ pid: 1, cmd: 'sleep' }]
                  : logs,
          });
        }
      });
      ws.on('error', (err) => reject(err));
      ws.on('close', () => clearInterval(this.hb));
    });
  }

  private send(m: AgentMessage): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(m));
  }

  report(t: Task, state: TaskState, extra: Partial<TaskStatus> = {}): void {
    const prev = this.states.get(t.id) ?? t.status.state;
    if (state < prev) return;
    this.states.set(t.id, state);
    this.send({
      type: 'task.status',
      taskId: t.id,
      status: {
        ...t.status,
        ...extra,
        state,
        message: TaskState[state].toLowerCase(),
        timestamp: Date.now(),
      },
    });
  }

  private act(): void {
    if (this.closed) return;
    for (const t of this.set.tasks) {
      const cur = this.states.get(t.id) ?? t.status.state;
      if (isTerminal(cur)) continue;
      if (t.desiredState >= TaskState.Shutdown) {
        this.report(t, TaskState.Shutdown, { finishedAt: Date.now() });
        continue;
      }
      if (cur >= TaskState.Accepted) continue; // already started by an earlier set
      const step = this.opts.stepMs ?? 0;
      const run = () => {
        if (this.closed) return;
        const b = this.behave(t);
        this.report(t, TaskState.Accepted);
        this.report(t, TaskState.Preparing);
        if (b === 'reject')
          return this.report(t, TaskState.Rejected, { error: 'image not found', finishedAt: Date.now() });
        this.report(t, TaskState.Ready);
        this.report(t, TaskState.Starting);
        if (b === 'hang') return;
        const started = Date.now();
        this.report(t, TaskState.Running, { startedAt: started, containerId: `c-${t.id}` });
        if (b === 'fail')
          this.report(t, TaskState.Failed, { exitCode: 1, error: 'exit code 1', finishedAt: Date.now() });
        if (b === 'exit0') this.report(t, TaskState.Complete, { exitCode: 0, finishedAt: Date.now() });
      };
      if (step > 0) setTimeout(run, step);
      else run();
    }
  }

  running(): Task[] {
    return this.set.tasks.filter(
      (t) => this.states.get(t.id) === TaskState.Running && t.desiredState === TaskState.Running,
    );
  }

  /** Drop the connection silently (a dead host). */
  kill(): void {
    this.closed = true;
    clearInterval(this.hb);
    this.ws?.terminate();
  }

  async close(): Promise<void> {
    this.kill();
  }
}
