// Services: list/inspect with live counts and update state, and the versioned changes (scale, update,
// forced restart, rollback). Each change re-reads and writes with the version it read; a concurrent change
// makes it retry, so two scales never merge blindly.
import {
  ConflictError,
  NotFoundError,
  SpecError,
  TaskState,
  type ServiceResponse,
  type ServiceSpec,
  type ServiceSummary,
  type ServiceUpdateRequest,
  type TaskRow,
  type Task,
  taskStateName,
} from '@tsstack/model';
import { isCurrent, isGlobal, type UpdateProgress } from '@tsstack/planner';
import type { EventInput, ServiceRecord, StateStore } from '@tsstack/store';
import { admitStack, COMPOSE_POLICY, type DeployPolicyOptions } from './deploy-policy';
import { completeService, seccompIssues } from './spec-defaults';
import { withForce, withRollback, withSpec } from './service-records';

const RETRIES = 5;

function updateState(p: UpdateProgress | undefined): ServiceSummary['updateState'] {
  if (!p) return undefined;
  switch (p.state) {
    case 'rollback_started':
      return 'rolling_back';
    case 'rollback_paused':
      return 'paused';
    default:
      return p.state;
  }
}

export function taskRow(t: Task): TaskRow {
  return {
    service: `${t.stack}_${t.service}`,
    task: t.id,
    ...(t.slot !== undefined ? { slot: t.slot } : {}),
    ...(t.nodeId ? { node: t.nodeId } : {}),
    state: taskStateName(t.status.state),
    desiredState: taskStateName(t.desiredState),
    ...(t.status.containerId ? { containerId: t.status.containerId } : {}),
    ...(t.status.startedAt ? { startedAt: new Date(t.status.startedAt).toISOString() } : {}),
    ...(t.status.exitCode !== undefined ? { exitCode: t.status.exitCode } : {}),
    ...(t.status.error || t.pendingReason ? { error: t.status.error ?? t.pendingReason } : {}),
    image: t.spec.image,
    specVersion: t.specVersion,
    health: t.status.health,
    ...(t.status.progress ? { progress: t.status.progress } : {}),
  };
}

export class ServiceOps {
  constructor(
    private readonly store: StateStore,
    private readonly policy: DeployPolicyOptions = COMPOSE_POLICY,
  ) {}

  private async summaries(filter: (s: ServiceRecord) => boolean): Promise<Array<ServiceResponse>> {
    const services = (await this.store.listServices()).filter(filter);
    const tasks = await this.store.listTasks();
    const progress = await this.store.listProgress(services.map((s) => s.key));
    return services.map((s) => {
      const mine = tasks.filter((t) => t.stack === s.stack && t.service === s.name && isCurrent(t));
      const running = mine.filter((t) => t.status.state === TaskState.Running).length;
      return {
        stack: s.stack,
        service: s.name,
        mode: s.spec.deploy.mode,
        replicas: isGlobal(s.spec) ? mine.length : s.spec.deploy.replicas,
        running,
        image: s.spec.image,
        version: s.version,
        ...(updateState(progress[s.key]) ? { updateState: updateState(progress[s.key]) } : {}),
        spec: s.spec,
        ...(s.previousSpec ? { previousSpec: s.previousSpec } : {}),
        specVersion: s.specVersion,
        ...(progress[s.key] ? { updateStatus: progress[s.key] } : {}),
      } as ServiceResponse;
    });
  }

  async list(stack?: string): Promise<ServiceSummary[]> {
    const all = await this.summaries((s) => !stack || s.stack === stack);
    return all.map(({ spec: _spec, previousSpec: _prev, ...rest }) => rest as ServiceSummary);
  }

  async inspect(stack: string, name: string): Promise<ServiceResponse> {
    const [one] = await this.summaries((s) => s.stack === stack && s.name === name);
    if (!one) throw new NotFoundError('service', `${stack}/${name}`);
    return one;
  }

  async tasks(q: { stack?: string; service?: string; all?: boolean }): Promise<TaskRow[]> {
    return (await this.store.listTasks())
      .filter((t) => (!q.stack || t.stack === q.stack) && (!q.service || t.service === q.service))
      .filter((t) => q.all || isCurrent(t))
      .sort(
        (a, b) =>
          a.service.localeCompare(b.service) || (a.slot ?? 0) - (b.slot ?? 0) || a.createdAt - b.createdAt,
      )
      .map(taskRow);
  }

  /** Read-modify-write of one service with its version; retried on a concurrent change. */
  private async change(
    stack: string,
    name: string,
    fn: (cur: ServiceRecord, now: number) => { next: ServiceRecord; event: EventInput },
  ): Promise<ServiceRecord> {
    const key = `${stack}/${name}`;
    for (let attempt = 0; ; attempt++) {
      const cur = await this.store.getService(key);
      if (!cur) throw new NotFoundError('service', key);
      const { next, event } = fn(cur, Date.now());
      if (next === cur) return cur;
      try {
        await this.store.apply({
          expect: [{ kind: 'service', id: key, version: cur.version }],
          services: [next],
          events: [event],
        });
        return next;
      } catch (err) {
        if (!(err instanceof ConflictError) || attempt >= RETRIES) throw err;
      }
    }
  }

  scale(stack: string, name: string, replicas: number): Promise<ServiceRecord> {
    if (!Number.isInteger(replicas) || replicas < 0) {
      throw new SpecError([
        { file: '<request>', path: 'replicas', message: 'replicas must be a whole number >= 0' },
      ]);
    }
    return this.change(stack, name, (cur, now) => {
      if (isGlobal(cur.spec)) {
        throw new SpecError([
          {
            file: '<request>',
            path: 'replicas',
            message: `${stack}/${name} is ${cur.spec.deploy.mode}: it cannot be scaled`,
          },
        ]);
      }
      const from = cur.spec.deploy.replicas;
      const spec = { ...cur.spec, deploy: { ...cur.spec.deploy, replicas } };
      const next = from === replicas ? cur : { ...cur, spec, version: cur.version + 1, updatedAt: now };
      return {
        next,
        event: { type: 'service.scaled', stack, service: name, from: String(from), to: String(replicas) },
      };
    });
  }

  async update(stack: string, name: string, req: ServiceUpdateRequest): Promise<ServiceRecord> {
    const spec = req.spec ? await this.admitted(stack, name, req.spec) : undefined;
    return this.change(stack, name, (cur, now) => {
      let next = spec ? (withSpec(cur, spec, now) ?? cur) : cur;
      if (req.force) next = withForce(next, now);
      return {
        next,
        event: {
          type: 'service.updated',
          stack,
          service: name,
          message: req.force ? 'forced' : 'spec changed',
        },
      };
    });
  }

  /** A new spec for a service, checked and admitted by the policy as a stack deploy would be. */
  private async admitted(stack: string, name: string, raw: unknown): Promise<ServiceSpec> {
    const spec = completeService(name, raw);
    const issues = seccompIssues(spec, `services.${name}`);
    if (issues.length) throw new SpecError(issues);
    const stored = (await this.store.getStack(stack))?.spec;
    admitStack(this.policy, { name: stack, services: { [name]: spec }, networks: {}, volumes: stored?.volumes ?? {}, configs: {}, secrets: {} }); // prettier-ignore
    return spec;
  }

  restart(stack: string, name: string): Promise<ServiceRecord> {
    return this.change(stack, name, (cur, now) => ({
      next: withForce(cur, now),
      event: {
        type: 'service.updated',
        stack,
        service: name,
        message: 'restart: every task is replaced (rolling)',
      },
    }));
  }

  rollback(stack: string, name: string): Promise<ServiceRecord> {
    return this.change(stack, name, (cur, now) => {
      const next = withRollback(cur, now);
      if (!next) throw new ConflictError(`${stack}/${name} has no previous spec to roll back to`);
      return {
        next,
        event: { type: 'service.updated', stack, service: name, message: 'rollback requested' },
      };
    });
  }
}
