// Read-only checks the scenarios share: task rows from the controller, containers present on a host
// (cgroups under the host's cgroup parent), running tasks.
import * as fs from 'node:fs';
import type { TaskRow } from '@tsstack/model';
import type { ClusterHost } from './harness';
import type { ControlPlane } from './control-plane';

export type { TaskRow };

export function psTasks(cp: ControlPlane, stack: string, all = false): TaskRow[] {
  return cp.api<TaskRow[]>('GET', `/v1/tasks?stack=${stack}${all ? '&all=1' : ''}`);
}

export function runningOf(tasks: TaskRow[]): TaskRow[] {
  return tasks.filter((t) => t.state === 'running' && t.desiredState === 'running');
}

/** Container cgroups under the host's cgroup parent (pids hierarchy): one per live container. */
export function hostContainers(_cp: ControlPlane, host: ClusterHost): string[] {
  const dir = `/sys/fs/cgroup/pids/tsstack-${host.netns}`;
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return [];
  }
}
