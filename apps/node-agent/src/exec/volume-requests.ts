// The agent's answers to volume requests from the controller: list this node's named volumes with the tasks
// that use them, and remove volumes, refused while a container (running or stopped) still mounts one, or after
// waiting up to `waitMs` for those containers to go (as `tsstack down --volumes` does while its tasks stop).
import { VolumeInUseError, type NodeVolume, type Task, type VolumeRemoveArgs, type VolumeRemoveResult } from '@tsstack/model'; // prettier-ignore
import type { ContainerRuntimePort } from '../ports';
import type { VolumeStore } from '../files/volume-store';
import { volumeUsers } from '../files/volume-usage';

export interface VolumeRequests {
  list(): Promise<NodeVolume[]>;
  remove(args: VolumeRemoveArgs): Promise<VolumeRemoveResult>;
}

const POLL_MS = 250;
/** Longest wait an agent accepts for a volume's users to go. */
const MAX_WAIT_MS = 300_000;

export function volumeRequests(
  store: VolumeStore,
  runtime: ContainerRuntimePort,
  tasks: () => Task[],
): VolumeRequests {
  const users = async () => volumeUsers(await runtime.list(), tasks());

  return {
    async list() {
      const u = await users();
      return (await store.list()).map((v) => ({ ...v, usedBy: u.get(v.name) ?? [] }));
    },

    async remove(args) {
      const names = [...new Set(args.names)];
      const deadline = Date.now() + Math.min(Math.max(0, args.waitMs ?? 0), MAX_WAIT_MS);
      for (;;) {
        const u = await users();
        const busy = names.filter((n) => u.get(n)?.length);
        if (!busy.length) break;
        if (Date.now() >= deadline) {
          const which = busy.map((n) => `${n} (tasks ${u.get(n)!.join(', ')})`).join('; ');
          throw new VolumeInUseError(
            `volume in use: ${which}; stop what uses it first (tsstack down, or scale the service to 0), then remove it again`,
          );
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
      const result: VolumeRemoveResult = { removed: [], missing: [] };
      for (const n of names) ((await store.remove(n)) ? result.removed : result.missing).push(n);
      return result;
    },
  };
}
