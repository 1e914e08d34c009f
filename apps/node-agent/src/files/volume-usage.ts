// Pure: which tasks use which named volume on this node. Every container records its named volumes in a label
// at creation, so the answer holds for stopped containers and after an agent restart; a container made before
// that label existed is looked up through its task's spec in the assignment set.
import type { Task } from '@tsstack/model';
import { TASK_ID_LABEL, type ObservedContainer } from '../exec/assignment-reconcile';
import type { HostMount } from './mount-plan';

/** Label on each container: its named volumes (<stack>_<name>), comma-separated. */
export const VOLUMES_LABEL = 'io.tsstack.volumes';

export function volumesLabel(mounts: HostMount[]): string {
  return mounts.flatMap((m) => (m.kind === 'bind' && m.volume ? [m.volume] : [])).join(',');
}

function namedVolumesOf(task: Task): string[] {
  return task.spec.volumes.flatMap((m) => (m.type === 'volume' && m.source ? [`${task.stack}_${m.source}`] : [])); // prettier-ignore
}

/** Volume name -> ids of the tasks whose containers (running or not) mount it. */
export function volumeUsers(containers: ObservedContainer[], tasks: Task[]): Map<string, string[]> {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const users = new Map<string, string[]>();
  for (const c of containers) {
    const taskId = c.labels[TASK_ID_LABEL] ?? c.id;
    const label = c.labels[VOLUMES_LABEL];
    const task = byId.get(taskId);
    const names = label !== undefined ? label.split(',').filter(Boolean) : task ? namedVolumesOf(task) : [];
    for (const n of names) users.set(n, [...(users.get(n) ?? []), taskId]);
  }
  return users;
}
