// Nodes: list/inspect (never the credential hash), availability and labels (versioned), removal of a node
// that is down.
import {
  ConflictError,
  NotFoundError,
  SpecError,
  type ClusterNode,
  type NodeUpdateRequest,
} from '@tsstack/model';
import type { NodeRecord, StateStore } from '@tsstack/store';

export type NodeView = ClusterNode & { name: string };

export function nodeView(n: NodeRecord): NodeView {
  const { credentialHash: _c, ...rest } = n;
  return { ...rest, name: n.hostname };
}

const RETRIES = 5;

export class NodeOps {
  constructor(private readonly store: StateStore) {}

  async list(): Promise<NodeView[]> {
    return (await this.store.listNodes()).map(nodeView);
  }

  private async find(idOrName: string): Promise<NodeRecord> {
    const byId = await this.store.getNode(idOrName);
    if (byId) return byId;
    const byName = (await this.store.listNodes()).filter((n) => n.hostname === idOrName);
    if (byName.length === 1) return byName[0]!;
    throw new NotFoundError('node', idOrName);
  }

  async inspect(id: string): Promise<NodeView> {
    return nodeView(await this.find(id));
  }

  async update(id: string, req: NodeUpdateRequest): Promise<NodeView> {
    if (req.availability && !['active', 'pause', 'drain'].includes(req.availability)) {
      throw new SpecError([
        { file: '<request>', path: 'availability', message: 'use active, pause or drain' },
      ]);
    }
    for (let attempt = 0; ; attempt++) {
      const cur = await this.find(id);
      const labels = { ...cur.labels, ...(req.labelAdd ?? {}) };
      for (const k of req.labelRm ?? []) delete labels[k];
      const next: NodeRecord = {
        ...cur,
        labels,
        availability: req.availability ?? cur.availability,
        version: (cur.version ?? 1) + 1,
      };
      try {
        await this.store.apply({
          expect: [{ kind: 'node', id: cur.id, version: cur.version ?? 1 }],
          nodes: [next],
          events: [
            {
              type: 'node.updated',
              node: cur.id,
              from: cur.availability,
              to: next.availability,
              message: JSON.stringify(labels),
            },
          ],
        });
        return nodeView(next);
      } catch (err) {
        if (!(err instanceof ConflictError) || attempt >= RETRIES) throw err;
      }
    }
  }

  async remove(id: string): Promise<void> {
    const cur = await this.find(id);
    if (cur.status === 'ready') {
      throw new ConflictError(
        `node ${cur.hostname} (${cur.id}) is up: drain it (tsstack node update --availability drain) and stop its agent first`,
      );
    }
    await this.store.apply({
      expect: [{ kind: 'node', id: cur.id, version: cur.version ?? 1 }],
      removeNodes: [cur.id],
      events: [{ type: 'node.removed', node: cur.id }],
    });
  }
}
