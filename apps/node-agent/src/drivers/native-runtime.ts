// The agent's real runtime driver: libs/image for the rootfs, libs/runtime (the native core and its shims)
// for the container, and a TaskNetworkPort for the task's network namespace. Every step is idempotent so a
// restarted agent can re-drive a task; removal undoes all of it.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { AssignmentSet, Task } from '@tsstack/model';
import type { ImageStore, ImageConfig } from '@tsstack/image';
import {
  ContainerNotFoundError,
  InvalidContainerSpecError,
  type ContainerRuntime,
  type NetworkMode,
} from '@tsstack/runtime';
import type { ContainerRuntimePort, TaskHooks } from '../ports';
import { TaskRejectedError, type ExitInfo, type TaskController } from '../exec/task-executor';
import { TASK_ID_LABEL } from '../exec/assignment-reconcile';
import { startHealthMonitor, type HealthMonitor } from '../exec/health-monitor';
import { planTaskMounts, type MountDirs } from '../files/mount-plan';
import { removeTaskFiles, writeConfig, writeSecret } from '../files/file-objects';
import { buildContainerSpec, containerIdFor, healthcheckOf } from './container-spec';
import { VolumeStore } from '../files/volume-store';
import { SharedPulls } from './shared-pulls';

/** A task's network: its namespace made before the container, torn down after it. */
export interface TaskNetworkPort {
  attach(
    task: Task,
    set: AssignmentSet,
  ): Promise<{
    netnsPath: string;
    resolvConfPath?: string;
    hostsPath?: string;
    /** Resolves once the packet filter carries the task (VIP and port backends): awaited before it runs. */
    rulesApplied?: () => Promise<void>;
  }>;
  /** Take the task out of DNS and VIPs before it is stopped. */
  setServing(taskId: string, serving: boolean): Promise<void>;
  detach(taskId: string): Promise<void>;
  /** Apply the set's networks and ingress ports before its tasks run. */
  sync?(set: AssignmentSet): Promise<void>;
}

export interface NativeRuntimeDeps {
  runtime: ContainerRuntime;
  images: ImageStore;
  network?: TaskNetworkPort;
  dirs: MountDirs;
  log?(msg: string): void;
}

function networkModeOf(task: Task, attached?: { netnsPath: string }): NetworkMode {
  if (task.spec.networkMode === 'host') return { mode: 'host' };
  if (task.spec.networkMode === 'none') return { mode: 'none' };
  return attached ? { mode: 'netns', path: attached.netnsPath } : { mode: 'none' };
}

async function writeFileObjects(task: Task, set: AssignmentSet, dirs: MountDirs): Promise<void> {
  for (const c of task.spec.configs) {
    const obj = set.configs[`${task.stack}_${c.source}`];
    if (!obj?.content && obj?.content !== '')
      throw new TaskRejectedError(`config ${c.source} has no content`);
    await writeConfig(
      dirs.configsDir,
      task.id,
      c.source,
      Buffer.from(obj.content, 'base64'),
      c.mode || 0o444,
    );
  }
  for (const s of task.spec.secrets) {
    const obj = set.secrets[`${task.stack}_${s.source}`];
    if (!obj?.content && obj?.content !== '')
      throw new TaskRejectedError(`secret ${s.source} has no content`);
    await writeSecret(
      dirs.secretsDir,
      task.id,
      s.source,
      Buffer.from(obj.content, 'base64'),
      s.mode || 0o444,
    );
  }
}

/** Stack and labels of a named volume, from the stack's top-level `volumes:` as the assignment set carries it. */
function volumeMeta(task: Task, set: AssignmentSet, name?: string) {
  if (!name) return {};
  return { stack: task.stack, labels: set.volumes.find((v) => v.name === name)?.labels ?? {} };
}

export function nativeRuntime(deps: NativeRuntimeDeps): ContainerRuntimePort {
  const { runtime, images, network, dirs } = deps;
  const volumes = new VolumeStore(dirs.volumesDir);
  const pulls = new SharedPulls(images);

  const removeAll = async (containerId: string, taskId?: string): Promise<void> => {
    await runtime.remove(containerId, { force: true });
    await images.releaseRootfs(containerId);
    if (taskId) {
      await removeTaskFiles(dirs.secretsDir, dirs.configsDir, taskId);
      await volumes.removeAnonymous(taskId);
      await network?.detach(taskId);
    }
  };

  return {
    async list() {
      return (await runtime.list()).map((c) => ({
        id: c.id,
        labels: c.labels,
        running: c.status === 'running' || c.status === 'created',
        pid: c.pid || undefined,
      }));
    },

    controllerFor(
      task: Task,
      set: AssignmentSet,
      adoptContainerId?: string,
      hooks?: TaskHooks,
    ): TaskController {
      const id = adoptContainerId ?? containerIdFor(task.id);
      let image: ImageConfig = {};
      let rulesApplied: (() => Promise<void>) | undefined;
      let monitor: HealthMonitor | undefined;
      let unhealthy = false;
      const stopSignal = () => task.spec.stopSignal ?? image.StopSignal ?? 'SIGTERM';

      const watchHealth = async (startedAt: number): Promise<void> => {
        if (monitor) return;
        if (!Object.keys(image).length)
          image = (await images.get(task.spec.image).catch(() => undefined))?.config ?? {};
        const spec = healthcheckOf(task, image);
        monitor = startHealthMonitor(
          spec,
          async (argv, timeoutMs) => {
            const r = await runtime.execCollect(id, { args: argv, timeoutMs });
            return { exitCode: r.timedOut ? -1 : r.exitCode, output: (r.stdout + r.stderr).trim() };
          },
          (h) => {
            hooks?.onHealth?.(h.status, h.lastOutput);
            if (h.status === 'healthy') void network?.setServing(task.id, true);
            if (h.status === 'unhealthy') {
              // As Swarm's agent: an unhealthy container fails its task; the controller replaces it.
              unhealthy = true;
              monitor?.stop();
              void network?.setServing(task.id, false);
              void runtime.stop(id, { signal: stopSignal(), timeoutMs: task.spec.stopGracePeriodMs ?? 10_000 }).catch(() => undefined); // prettier-ignore
            }
          },
          startedAt,
        );
      };

      return {
        async prepare(onPullProgress) {
          const policy = task.spec.pullPolicy === 'build' ? 'never' : (task.spec.pullPolicy ?? 'missing');
          let record;
          try {
            await pulls.ensure(task.spec.image, policy, onPullProgress);
            record = await images.get(task.spec.image);
          } catch (err) {
            throw new TaskRejectedError(`image ${task.spec.image}: ${(err as Error).message}`);
          }
          if (!record) throw new TaskRejectedError(`image ${task.spec.image} is not in the local store`);
          image = record.config;
          try {
            await runtime.inspect(id);
            return; // created by an earlier run of this step
          } catch (err) {
            if (!(err instanceof ContainerNotFoundError)) throw err;
          }
          try {
            const rootfs = await images.prepareRootfs(task.spec.image, id);
            await writeFileObjects(task, set, dirs);
            const mounts = planTaskMounts(task, dirs);
            for (const m of mounts) {
              if (m.kind !== 'bind' || !m.createSource) continue;
              if (m.owned === 'volume')
                await volumes.ensure(path.basename(m.source), volumeMeta(task, set, m.volume)); // prettier-ignore
              else await fs.mkdir(m.source, { recursive: true });
            }
            const attached = network && !task.spec.networkMode ? await network.attach(task, set) : undefined; // prettier-ignore
            rulesApplied = attached?.rulesApplied;
            if (attached?.resolvConfPath)
              mounts.push({ kind: 'bind', source: attached.resolvConfPath, target: '/etc/resolv.conf', readOnly: true, createSource: false }); // prettier-ignore
            if (attached?.hostsPath)
              mounts.push({ kind: 'bind', source: attached.hostsPath, target: '/etc/hosts', readOnly: true, createSource: false }); // prettier-ignore
            const spec = buildContainerSpec(task, image, rootfs, mounts, networkModeOf(task, attached));
            await runtime.create(hooks?.containerSpec ? hooks.containerSpec(spec) : spec);
          } catch (err) {
            await removeAll(id, task.id).catch(() => undefined);
            if (err instanceof InvalidContainerSpecError || err instanceof TaskRejectedError) throw new TaskRejectedError((err as Error).message); // prettier-ignore
            throw err;
          }
        },

        async start() {
          const info = await runtime.start(id);
          // The nft run that gives this task its VIP and port backends went on while the container was made.
          await rulesApplied?.();
          await watchHealth(info.startedAt ?? Date.now());
          // Reported with `running`, so nobody takes a health-checked task for healthy before its first probe.
          return { containerId: id, pid: info.pid, health: healthcheckOf(task, image) ? 'starting' : 'none' };
        },

        async wait(): Promise<ExitInfo> {
          const info = await runtime.inspect(id);
          if (info.status === 'running') await watchHealth(info.startedAt ?? Date.now());
          try {
            const exit = await runtime.wait(id);
            return {
              exitCode: exit.exitCode,
              signal: exit.signal ? `SIG${exit.signal}` : undefined,
              oomKilled: exit.oomKilled,
              error: unhealthy ? 'unhealthy container' : undefined,
            };
          } finally {
            monitor?.stop();
          }
        },

        async shutdown() {
          await network?.setServing(task.id, false).catch(() => undefined);
          monitor?.stop();
          await runtime.stop(id, { signal: stopSignal(), timeoutMs: task.spec.stopGracePeriodMs ?? 10_000 });
        },

        async terminate() {
          monitor?.stop();
          await runtime.kill(id, 'SIGKILL');
        },

        async remove() {
          monitor?.stop();
          await removeAll(id, task.id);
        },
      };
    },

    logs: (containerId, o) => runtime.logs(containerId, o),
    exec: (containerId, o) => runtime.exec(containerId, o),
    stats: (containerId) => runtime.stats(containerId),
    top: (containerId) => runtime.processes(containerId),

    async removeContainer(containerId: string) {
      const info = await runtime.inspect(containerId).catch(() => undefined);
      await removeAll(containerId, info?.labels[TASK_ID_LABEL]);
    },
  };
}
