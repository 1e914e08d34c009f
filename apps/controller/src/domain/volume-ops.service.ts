// Named volumes across the cluster. A volume of the local driver lives on each node that ran a task mounting it,
// so every operation asks the agents (volume.ls / volume.rm requests, through the request router, wherever an
// agent is connected). Removal is refused while a container mounts the volume; `down --volumes` instead lets
// each agent wait for the stack's containers to go, then remove.
import { NotFoundError, VolumeInUseError, type NodeVolume, type RequestMessage, type StackSpec, type VolumeRemoveResult, type VolumeRow } from '@tsstack/model'; // prettier-ignore
import type { StateStore } from '@tsstack/store';
import type { RequestRouter } from '../dispatch/request-router';

/** How long `down --volumes` lets agents wait for the stack's containers to be removed. */
export const STACK_VOLUMES_WAIT_MS = 120_000;
const ASK_TIMEOUT_MS = 15_000;

export interface StackVolumesRemoved {
  removed: Array<{ node: string; name: string }>;
  /** Nodes no controller could reach: their copies stay until `tsstack volume rm`. */
  unreached: string[];
}

/** The volume names a stack owns: its top-level volumes but external ones, as tasks mount them. */
export function stackVolumeNames(stack: string, spec: StackSpec): string[] {
  return Object.entries(spec.volumes ?? {})
    .filter(([, v]) => !v.external)
    .map(([key]) => `${stack}_${key}`)
    .sort();
}

export class VolumeOps {
  constructor(
    private readonly store: StateStore,
    private readonly router: RequestRouter,
  ) {}

  /** One answer from one node's agent; rejects with its error, or when it does not answer in time. */
  private ask<T>(
    nodeId: string,
    op: RequestMessage['op'],
    args: Record<string, unknown>,
    timeoutMs = ASK_TIMEOUT_MS,
  ): Promise<T> {
    // prettier-ignore
    return new Promise<T>((resolve, reject) => {
      let handle: { cancel(): void } | undefined;
      const timer = setTimeout(() => {
        handle?.cancel();
        reject(new Error(`node ${nodeId} did not answer ${op} within ${timeoutMs / 1000}s`));
      }, timeoutMs);
      this.router
        .request(nodeId, op, '', args, (done, data, error) => {
          if (!done) return;
          clearTimeout(timer);
          if (error) reject(error.startsWith('volume in use') ? new VolumeInUseError(`node ${nodeId}: ${error}`) : new Error(`node ${nodeId}: ${error}`)); // prettier-ignore
          else resolve(data as T);
        })
        .then((h) => (handle = h))
        .catch((err: Error) => {
          clearTimeout(timer);
          reject(err);
        });
    });
  }

  private async nodes() {
    return (await this.store.listNodes()).filter((n) => n.status !== 'down');
  }

  /** Every named volume on every reachable node (one row per node and volume). */
  async list(): Promise<VolumeRow[]> {
    const rows: VolumeRow[] = [];
    await Promise.all(
      (await this.nodes()).map(async (n) => {
        const vols = await this.ask<NodeVolume[]>(n.id, 'volume.ls', {}).catch(() => [] as NodeVolume[]);
        for (const v of vols) rows.push({ ...v, node: n.id, nodeName: n.hostname });
      }),
    );
    return rows.sort((a, b) => a.name.localeCompare(b.name) || a.nodeName.localeCompare(b.nodeName));
  }

  async inspect(name: string): Promise<VolumeRow[]> {
    const rows = (await this.list()).filter((r) => r.name === name);
    if (!rows.length) throw new NotFoundError('volume', name);
    return rows;
  }

  /** Remove a volume from every node that holds it; refused (nothing removed) while any container uses it. */
  async remove(name: string): Promise<{ removed: string; nodes: string[] }> {
    const rows = await this.inspect(name);
    const busy = rows.filter((r) => r.usedBy.length);
    if (busy.length) {
      const where = busy.map((r) => `node ${r.nodeName}: tasks ${r.usedBy.join(', ')}`).join('; ');
      throw new VolumeInUseError(`volume ${name} is in use (${where}): stop what uses it first (tsstack down, or scale the service to 0)`); // prettier-ignore
    }
    await Promise.all(rows.map((r) => this.ask<VolumeRemoveResult>(r.node, 'volume.rm', { names: [name] })));
    return { removed: name, nodes: rows.map((r) => r.nodeName) };
  }

  /**
   * `down --volumes`: every reachable node removes these volumes once no container of the (already removed)
   * stack uses them any more. Throws VolumeInUseError naming what still held a volume after the wait.
   */
  async removeForStack(names: string[], waitMs = STACK_VOLUMES_WAIT_MS): Promise<StackVolumesRemoved> {
    const out: StackVolumesRemoved = { removed: [], unreached: [] };
    if (!names.length) return out;
    const failures: string[] = [];
    await Promise.all(
      (await this.nodes()).map(async (n) => {
        try {
          const r = await this.ask<VolumeRemoveResult>(n.id, 'volume.rm', { names, waitMs }, waitMs + ASK_TIMEOUT_MS); // prettier-ignore
          for (const name of r.removed) out.removed.push({ node: n.hostname, name });
        } catch (err) {
          if (err instanceof VolumeInUseError) failures.push(err.message);
          else out.unreached.push(n.hostname);
        }
      }),
    );
    if (failures.length) throw new VolumeInUseError(`the stack is removed, but ${failures.join('; ')}`);
    return out;
  }
}
