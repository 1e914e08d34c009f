// Stacks: plan (diff preview), deploy (one atomic versioned write of the stack and every service that
// changed), list, get, remove. Only services whose spec hash changed get a new spec version (a rolling
// update); a replica change is a scale.
import {
  ConflictError,
  NotFoundError,
  type DeployResponse,
  type ServicePlan,
  type StackSpec,
} from '@tsstack/model';
import { keepOrphans, planStack } from '@tsstack/planner';
import type { EventInput, ServiceRecord, StackRecord, StateStore } from '@tsstack/store';
import { admitStack, COMPOSE_POLICY, type DeployPolicyOptions } from './deploy-policy';
import { completeStack } from './spec-defaults';
import { newServiceRecord, withSpec } from './service-records';

const RETRIES = 5;

export class StackService {
  constructor(
    private readonly store: StateStore,
    private readonly policy: DeployPolicyOptions = COMPOSE_POLICY,
  ) {}

  /** The stack with defaults, checked, and admitted by the policy (PolicyRefusedError naming each setting). */
  private admit(name: string, raw: unknown): StackSpec {
    const spec = completeStack(name, raw);
    admitStack(this.policy, spec);
    return spec;
  }

  async plan(name: string, raw: unknown, removeOrphans = false): Promise<ServicePlan[]> {
    const spec = this.admit(name, raw);
    const cur = await this.store.getStack(name);
    return planStack(cur?.spec, spec, { removeOrphans });
  }

  /**
   * Deploys `raw` as stack `name`. Services of the stack that are not in `raw` are kept as they run (orphans)
   * unless `removeOrphans`, as with Compose's `up` and `docker stack deploy`.
   */
  async deploy(
    name: string,
    raw: unknown,
    expectedVersion?: number,
    removeOrphans = false,
  ): Promise<DeployResponse> {
    const spec = this.admit(name, raw);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.deployOnce(name, spec, expectedVersion, removeOrphans);
      } catch (err) {
        // A concurrent writer moved something we read: re-read, unless the caller pinned a version.
        if (!(err instanceof ConflictError) || expectedVersion !== undefined || attempt >= RETRIES) throw err;
      }
    }
  }

  private async deployOnce(
    name: string,
    files: StackSpec,
    expectedVersion: number | undefined,
    removeOrphans: boolean,
  ): Promise<DeployResponse> {
    const now = Date.now();
    const cur = await this.store.getStack(name);
    const curVersion = cur?.version ?? 0;
    if (expectedVersion !== undefined && expectedVersion !== curVersion) {
      throw new ConflictError(
        `stack ${name} is at version ${curVersion}, not ${expectedVersion}: re-read it (tsstack plan) and deploy again`,
      );
    }
    const existing = new Map(
      (await this.store.listServices()).filter((s) => s.stack === name).map((s) => [s.name, s]),
    );
    const plan = planStack(cur?.spec, files, { removeOrphans });
    const spec = removeOrphans ? files : keepOrphans(cur?.spec, files);
    const services: ServiceRecord[] = [];
    const events: EventInput[] = [];
    const expect: Array<{ kind: 'stack' | 'service'; id: string; version: number }> = [
      { kind: 'stack', id: name, version: curVersion },
    ];
    for (const [svcName, svcSpec] of Object.entries(files.services)) {
      const prev = existing.get(svcName);
      const next = prev ? withSpec(prev, svcSpec, now) : newServiceRecord(name, svcSpec, now);
      if (!next) continue;
      expect.push({ kind: 'service', id: next.key, version: prev?.version ?? 0 });
      services.push(next);
      const type = !prev
        ? 'service.created'
        : next.specVersion !== prev.specVersion
          ? 'service.updated'
          : 'service.scaled';
      const reasons = plan.find((p) => p.service === svcName)?.reasons ?? [];
      events.push({ type, stack: name, service: svcName, message: reasons.join(', ') });
    }
    const removed = [...existing.values()].filter((s) => !spec.services[s.name]);
    for (const s of removed) {
      expect.push({ kind: 'service', id: s.key, version: s.version });
      events.push({ type: 'service.removed', stack: name, service: s.name });
    }
    const record: StackRecord = {
      name,
      version: curVersion + 1,
      spec,
      createdAt: cur?.createdAt ?? now,
      updatedAt: now,
    };
    events.unshift({ type: 'stack.updated', stack: name, message: `version ${record.version}` });
    await this.store.apply({
      expect,
      stacks: [record],
      services,
      removeServices: removed.map((s) => s.key),
      events,
    });
    return { version: record.version, plan };
  }

  async list(): Promise<StackRecord[]> {
    return this.store.listStacks();
  }

  async get(name: string): Promise<StackRecord> {
    const s = await this.store.getStack(name);
    if (!s) throw new NotFoundError('stack', name);
    return s;
  }

  /** Remove the stack and its services; the reconciler stops and forgets their tasks. Returns what was removed. */
  async remove(name: string): Promise<StackRecord> {
    const cur = await this.get(name);
    const services = (await this.store.listServices()).filter((s) => s.stack === name);
    await this.store.apply({
      expect: [
        { kind: 'stack', id: name, version: cur.version },
        ...services.map((s) => ({ kind: 'service' as const, id: s.key, version: s.version })),
      ],
      removeStacks: [name],
      removeServices: services.map((s) => s.key),
      events: [
        ...services.map((s) => ({ type: 'service.removed' as const, stack: name, service: s.name })),
        { type: 'stack.removed', stack: name },
      ],
    });
    return cur;
  }
}
