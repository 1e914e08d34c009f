// Pure holder of the assignment set: applies full sets and versioned deltas; a delta whose base version is
// not the current one is a gap and the caller must ask for a full resync.
import type { AssignmentSet, AssignmentsDelta } from '@tsstack/model';

export function emptySet(): AssignmentSet {
  return { version: 0, tasks: [], networks: [], volumes: [], configs: {}, secrets: {}, ingress: [] };
}

/** Returns the new set, or undefined when the delta does not apply (version gap: resync). */
export function applyDelta(set: AssignmentSet, d: AssignmentsDelta): AssignmentSet | undefined {
  if (d.baseVersion !== set.version) return undefined;
  const removeT = new Set(d.removeTasks);
  const upT = new Map(d.upsertTasks.map((t) => [t.id, t]));
  const tasks = set.tasks.filter((t) => !removeT.has(t.id) && !upT.has(t.id)).concat(d.upsertTasks);
  const removeN = new Set(d.removeNetworks);
  const upN = new Map(d.upsertNetworks.map((n) => [n.id, n]));
  const networks = set.networks.filter((n) => !removeN.has(n.id) && !upN.has(n.id)).concat(d.upsertNetworks);
  return {
    version: d.version,
    tasks,
    networks,
    volumes: d.volumes ?? set.volumes,
    configs: d.configs ?? set.configs,
    secrets: d.secrets ?? set.secrets,
    ingress: d.ingress ?? set.ingress,
  };
}
