// Pure mapping of a task onto a ContainerSpec for libs/runtime: Compose's command rules over the image
// config, environment, user, mounts already planned on the host, resources and security options.
import { createHash } from 'node:crypto';
import type { HealthcheckSpec, ServiceSpec, Task } from '@tsstack/model';
import { resolveCommand, type ImageConfig } from '@tsstack/image';
import type { ContainerMount, ContainerSpec, NetworkMode, RootfsSpec } from '@tsstack/runtime';
import { TASK_ID_LABEL } from '../exec/assignment-reconcile';
import { TaskRejectedError } from '../exec/task-executor';
import type { HostMount } from '../files/mount-plan';
import { VOLUMES_LABEL, volumesLabel } from '../files/volume-usage';

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** The container id of a task: the task id when it is a valid container id, else a stable hash of it. */
export function containerIdFor(taskId: string): string {
  return ID_RE.test(taskId) ? taskId : createHash('sha256').update(taskId).digest('hex').slice(0, 32);
}

export function hostMountsToContainer(mounts: HostMount[]): ContainerMount[] {
  return mounts.map((m) =>
    m.kind === 'tmpfs'
      ? { type: 'tmpfs', target: m.target, readOnly: m.readOnly, sizeBytes: m.sizeBytes, mode: m.mode }
      : m.kind === 'bind'
        ? { type: 'bind', source: m.source, target: m.target, readOnly: m.readOnly }
        : { type: 'bind', source: m.source, target: m.target, readOnly: true },
  );
}

/** `security_opt: [seccomp=...]`: unconfined, the profile read at load time, or tsstack's default. */
function seccompOf(s: ServiceSpec): ContainerSpec['seccomp'] {
  if (s.securityOpt.includes('seccomp=unconfined') || s.securityOpt.includes('seccomp:unconfined'))
    return 'unconfined';
  return s.seccompProfile ? { profile: s.seccompProfile } : 'default';
}

/** The image's HEALTHCHECK (nanoseconds) as a service healthcheck (milliseconds), when the service has none. */
export function healthcheckOf(task: Task, image: ImageConfig): HealthcheckSpec | undefined {
  if (task.spec.healthcheck) return task.spec.healthcheck;
  const h = image.Healthcheck;
  if (!h?.Test?.length) return undefined;
  const ms = (ns: number | undefined, fallback: number) => (ns ? Math.round(ns / 1e6) : fallback);
  return {
    test: h.Test,
    intervalMs: ms(h.Interval, 30_000),
    timeoutMs: ms(h.Timeout, 30_000),
    retries: h.Retries ?? 3,
    startPeriodMs: ms(h.StartPeriod, 0),
    startIntervalMs: 5_000,
  };
}

export function buildContainerSpec(
  task: Task,
  image: ImageConfig,
  rootfs: RootfsSpec,
  mounts: HostMount[],
  network: NetworkMode,
): ContainerSpec {
  const s = task.spec;
  const { argv } = resolveCommand(image, { entrypoint: s.entrypoint, command: s.command });
  if (!argv.length) throw new TaskRejectedError(`image ${s.image} has no command and the service sets none`);
  const env: Record<string, string> = {};
  for (const kv of image.Env ?? []) {
    const eq = kv.indexOf('=');
    if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  Object.assign(env, s.environment);
  const limits = s.resources.limits;
  return {
    id: containerIdFor(task.id),
    rootfs,
    readonlyRootfs: s.readOnly,
    process: {
      args: argv,
      env,
      cwd: s.workingDir ?? (image.WorkingDir || '/'),
      user: s.user ?? (image.User || undefined),
      groupAdd: s.groupAdd,
      tty: s.tty,
    },
    hostname: s.hostname ?? containerIdFor(task.id).slice(0, 12),
    network,
    mounts: [
      ...hostMountsToContainer(mounts),
      ...s.tmpfs.map((target): ContainerMount => ({ type: 'tmpfs', target })),
      ...(s.shmSizeBytes ? [{ type: 'tmpfs', target: '/dev/shm', sizeBytes: s.shmSizeBytes, mode: 0o1777 } as ContainerMount] : []), // prettier-ignore
    ],
    resources: {
      memoryBytes: limits.memoryBytes,
      memoryReservationBytes: s.resources.reservations.memoryBytes,
      memorySwapBytes: s.resources.memswapBytes,
      nanoCpus: limits.nanoCpus,
      cpuShares: s.resources.cpuShares,
      cpuset: s.resources.cpuset,
      pidsLimit: limits.pids,
      ioWeight: s.resources.ioWeight,
    },
    capAdd: s.capAdd,
    capDrop: s.capDrop,
    privileged: s.privileged,
    noNewPrivileges: !s.securityOpt.includes('no-new-privileges:false'),
    seccomp: seccompOf(s),
    sysctls: s.sysctls,
    ulimits: s.ulimits,
    devices: s.devices,
    deviceCgroupRules: s.deviceCgroupRules,
    init: s.init,
    hostPid: s.pidMode === 'host',
    labels: {
      [TASK_ID_LABEL]: task.id,
      'io.tsstack.stack': task.stack,
      'io.tsstack.service': task.service,
      [VOLUMES_LABEL]: volumesLabel(mounts),
      ...s.labels,
    },
    log: { maxSizeBytes: s.logging.maxSizeBytes, maxFile: s.logging.maxFile },
  };
}
