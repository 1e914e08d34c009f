// The agent's state directory: node identity (id + credential got at join) and a ledger of everything the
// agent created (containers, netns, interfaces, mounts, cgroups, dirs) so `cleanupAgent` can remove it all.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export interface NodeIdentity {
  nodeId: string;
  credential: string;
  controllerUrl: string;
}

export type LedgerKind = 'container' | 'netns' | 'interface' | 'mount' | 'cgroup' | 'dir';
export interface LedgerEntry {
  kind: LedgerKind;
  id: string;
  taskId?: string;
}

async function writeAtomic(file: string, data: string, mode: number): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await fs.writeFile(tmp, data, { mode });
  await fs.rename(tmp, file);
}

export class StateDir {
  constructor(readonly root: string) {}

  get identityFile(): string {
    return path.join(this.root, 'node.json');
  }
  get ledgerFile(): string {
    return path.join(this.root, 'ledger.json');
  }
  get volumesDir(): string {
    return path.join(this.root, 'volumes');
  }
  get secretsMount(): string {
    return path.join(this.root, 'secrets');
  }

  async init(): Promise<void> {
    await fs.mkdir(this.root, { recursive: true, mode: 0o700 });
    // Root's alone, also when an older tsstack made it 0755: volumes and the node's identity are in it.
    await fs.chmod(this.root, 0o700);
    await fs.mkdir(this.volumesDir, { recursive: true });
  }

  async readIdentity(): Promise<NodeIdentity | undefined> {
    try {
      return JSON.parse(await fs.readFile(this.identityFile, 'utf8')) as NodeIdentity;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async writeIdentity(id: NodeIdentity): Promise<void> {
    await writeAtomic(this.identityFile, JSON.stringify(id, null, 2), 0o600);
  }

  async readLedger(): Promise<LedgerEntry[]> {
    try {
      return JSON.parse(await fs.readFile(this.ledgerFile, 'utf8')) as LedgerEntry[];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  private queue: Promise<void> = Promise.resolve();

  /** Record entries (serialized writes; duplicates ignored). */
  record(...entries: LedgerEntry[]): Promise<void> {
    this.queue = this.queue.then(async () => {
      const cur = await this.readLedger();
      for (const e of entries) {
        if (!cur.some((c) => c.kind === e.kind && c.id === e.id)) cur.push(e);
      }
      await writeAtomic(this.ledgerFile, JSON.stringify(cur, null, 2), 0o600);
    });
    return this.queue;
  }

  forget(kind: LedgerKind, id: string): Promise<void> {
    this.queue = this.queue.then(async () => {
      const cur = (await this.readLedger()).filter((c) => !(c.kind === kind && c.id === id));
      await writeAtomic(this.ledgerFile, JSON.stringify(cur, null, 2), 0o600);
    });
    return this.queue;
  }

  /** Named volume dir: <stateDir>/volumes/<stack>_<name>, kept across redeploys. */
  volumePath(stack: string, name: string): string {
    return path.join(this.volumesDir, `${stack}_${name}`);
  }
}
