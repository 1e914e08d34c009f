// Pure: the one-off task of `tsstack run` from a running task of the service. It takes that task's spec
// (the service's, at the version that runs) and networks, replaces the command, drops published ports and
// health checks (a one-off is no endpoint: it must not join the service's DNS answers or VIP), adds the
// caller's environment, and runs on the same node, where the service's networks are already in place.
// The task is never stored: it is no replica, is never restarted and never shows in `ps`.
import type { Task } from '@tsstack/model';
import { TaskState } from '@tsstack/model';

export interface OneOffRequest {
  stack: string;
  service: string;
  command: string[];
  environment: Record<string, string>;
}

/** Thrown when no running task of the service can lend its spec; the message says what to do. */
export class NoTemplateTaskError extends Error {
  readonly code = 'NO_RUNNING_TASK';
}

/** The running, wanted task of the service with the newest spec version (the one a rolling update keeps). */
export function templateTask(tasks: Task[], stack: string, service: string): Task {
  const running = tasks
    .filter((t) => t.stack === stack && t.service === service && t.nodeId)
    .filter((t) => t.status.state === TaskState.Running && t.desiredState === TaskState.Running)
    .sort((a, b) => b.specVersion - a.specVersion || b.createdAt - a.createdAt);
  const t = running[0];
  if (!t)
    throw new NoTemplateTaskError(
      `no running task of ${stack}_${service}: \`tsstack run\` takes the spec and networks of one; start it with \`tsstack up\` or \`tsstack scale ${service}=1\``,
    );
  return t;
}

export function oneOffTask(template: Task, req: OneOffRequest, id: string, now: number): Task {
  if (!req.command.length) throw new Error('run needs a command');
  return {
    id,
    stack: template.stack,
    service: template.service,
    nodeId: template.nodeId,
    specVersion: template.specVersion,
    specHash: `${template.specHash}:run`,
    spec: {
      ...template.spec,
      command: req.command,
      environment: { ...template.spec.environment, ...req.environment },
      ports: [],
      healthcheck: {
        test: ['NONE'],
        intervalMs: 0,
        timeoutMs: 0,
        retries: 0,
        startPeriodMs: 0,
        startIntervalMs: 0,
      },
    },
    desiredState: TaskState.Running,
    status: { state: TaskState.Assigned, message: 'one-off', health: 'none', timestamp: now },
    networks: template.networks.map((n) => ({ network: n.network, address: '', aliases: [] })),
    createdAt: now,
    updatedAt: now,
  };
}
