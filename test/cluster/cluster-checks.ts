// Read-only checks the scenarios share: task rows from the controller, containers present on a host
// (the agent's runtime state dir), running tasks.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runtimeStateRoot } from '@tsstack/node-agent';
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

/** Containers the host's agent has in its runtime state dir (/run/tsstack/rt-<hash>/<container id>). */
export function hostContainers(_cp: ControlPlane, host: ClusterHost): string[] {
  const root = runtimeStateRoot(path.join(host.stateDir, 'agent'));
  try {
    return fs
      .readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return [];
  }
}
