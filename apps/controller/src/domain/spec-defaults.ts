// Completes and checks a stack sent to the API. The CLI sends libs/spec's normalized StackSpec; other clients
// may leave fields out, which get Compose/Swarm defaults here. Problems become one SpecError with every issue.
import {
  DEFAULT_RESTART_POLICY,
  DEFAULT_UPDATE_CONFIG,
  parseSeccompProfile,
  SpecError,
  type ServiceSpec,
  type SpecIssue,
  type StackSpec,
} from '@tsstack/model';
import { ConstraintSyntaxError, checkConstraint } from '@tsstack/planner';

const MODES = ['replicated', 'global', 'replicated-job', 'global-job'];

type Loose = Record<string, unknown>;

function obj(v: unknown): Loose {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Loose) : {};
}

export function completeService(name: string, raw: unknown): ServiceSpec {
  const s = obj(raw);
  const d = obj(s.deploy);
  const mode = (d.mode as string) ?? 'replicated';
  const placement = obj(d.placement);
  const res = obj(s.resources);
  return {
    environment: {},
    groupAdd: [],
    labels: {},
    ports: [],
    volumes: [],
    networks: {},
    dependsOn: {},
    init: false,
    privileged: false,
    readOnly: false,
    capAdd: [],
    capDrop: [],
    securityOpt: [],
    devices: [],
    deviceCgroupRules: [],
    sysctls: {},
    ulimits: {},
    tmpfs: [],
    dns: [],
    dnsSearch: [],
    extraHosts: {},
    stopGracePeriodMs: 10_000,
    restart: 'no',
    stdinOpen: false,
    tty: false,
    configs: [],
    secrets: [],
    logging: { maxSizeBytes: 10 * 2 ** 20, maxFile: 3 },
    profiles: [],
    pullPolicy: 'missing',
    ...(s as Partial<ServiceSpec>),
    name,
    image: (s.image as string) ?? '',
    resources: { limits: {}, reservations: {}, ...(res as Partial<ServiceSpec['resources']>) },
    deploy: {
      endpointMode: 'vip',
      labels: {},
      ...(d as Partial<ServiceSpec['deploy']>),
      mode: mode as ServiceSpec['deploy']['mode'],
      replicas: typeof d.replicas === 'number' ? d.replicas : 1,
      placement: {
        constraints: [],
        preferences: [],
        ...(placement as Partial<ServiceSpec['deploy']['placement']>),
      },
      updateConfig: { ...DEFAULT_UPDATE_CONFIG, ...obj(d.updateConfig) },
      rollbackConfig: { ...DEFAULT_UPDATE_CONFIG, ...obj(d.rollbackConfig) },
      restartPolicy: { ...DEFAULT_RESTART_POLICY, ...obj(d.restartPolicy) },
    },
  };
}

function issue(path: string, message: string): SpecIssue {
  return { file: '<request>', path, message };
}

/** Problems of a seccomp profile sent with a service (`at`: the service's path). */
export function seccompIssues(svc: ServiceSpec, at: string): SpecIssue[] {
  if (svc.seccompProfile === undefined) return [];
  return parseSeccompProfile(svc.seccompProfile).problems.map((p) =>
    issue(`${at}.security_opt`, `seccomp profile: ${p}`),
  );
}

/** The stack with defaults filled in; throws SpecError listing every problem. */
export function completeStack(name: string, raw: unknown): StackSpec {
  const issues: SpecIssue[] = [];
  const s = obj(raw);
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(name)) {
    issues.push(issue('name', `stack name "${name}": use lowercase letters, digits, - and _`));
  }
  const services: Record<string, ServiceSpec> = {};
  for (const [svcName, rawSvc] of Object.entries(obj(s.services))) {
    const svc = completeService(svcName, rawSvc);
    const at = `services.${svcName}`;
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(svcName)) issues.push(issue(at, 'invalid service name'));
    if (!svc.image) issues.push(issue(`${at}.image`, 'image is required'));
    if (!MODES.includes(svc.deploy.mode)) {
      issues.push(issue(`${at}.deploy.mode`, `mode ${svc.deploy.mode}: use ${MODES.join(', ')}`));
    }
    if (!Number.isInteger(svc.deploy.replicas) || svc.deploy.replicas < 0) {
      issues.push(issue(`${at}.deploy.replicas`, 'replicas must be a whole number >= 0'));
    }
    const u = svc.deploy.updateConfig;
    if (!['stop-first', 'start-first'].includes(u.order)) {
      issues.push(issue(`${at}.deploy.update_config.order`, 'use stop-first or start-first'));
    }
    if (!['pause', 'continue', 'rollback'].includes(u.failureAction)) {
      issues.push(issue(`${at}.deploy.update_config.failure_action`, 'use pause, continue or rollback'));
    }
    if (!['none', 'on-failure', 'any'].includes(svc.deploy.restartPolicy.condition)) {
      issues.push(issue(`${at}.deploy.restart_policy.condition`, 'use none, on-failure or any'));
    }
    for (const c of svc.deploy.placement.constraints) {
      try {
        checkConstraint(
          {
            id: 'x',
            hostname: 'x',
            role: 'worker',
            labels: {},
            availability: 'active',
            status: 'ready',
            address: '',
            resources: { nanoCpus: 0, memoryBytes: 0 },
            lastHeartbeat: 0,
          },
          c,
        );
      } catch (err) {
        if (err instanceof ConstraintSyntaxError)
          issues.push(issue(`${at}.deploy.placement.constraints`, err.message));
        else throw err;
      }
    }
    issues.push(...seccompIssues(svc, at));
    services[svcName] = svc;
  }
  if (issues.length) throw new SpecError(issues);
  return {
    name,
    services,
    networks: (s.networks as StackSpec['networks']) ?? {},
    volumes: (s.volumes as StackSpec['volumes']) ?? {},
    configs: (s.configs as StackSpec['configs']) ?? {},
    secrets: (s.secrets as StackSpec['secrets']) ?? {},
  };
}
