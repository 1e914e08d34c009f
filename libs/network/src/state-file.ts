// The node's network state on disk: <stateDir>/network-state.json (IPAM, networks, attachments, ports) and
// <stateDir>/resolv/<taskId>.conf. Writes are atomic (temp file + rename), asynchronous and coalesced:
// schedule() may be called after every change; flushed() resolves once the latest change is on disk.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NetworkState } from './types';

const STATE_FILE = 'network-state.json';

export function emptyState(): NetworkState {
  return {
    version: 1,
    ipam: { version: 1, networks: {} },
    networks: {},
    attachments: [],
    published: {},
    ingress: [],
  };
}

export class StateFile {
  private dirty = false;
  private writing: Promise<void> | undefined;
  private readonly file: string;

  constructor(private readonly stateDir: string) {
    this.file = path.join(stateDir, STATE_FILE);
    fs.mkdirSync(path.join(stateDir, 'resolv'), { recursive: true });
  }

  /** The persisted state, or an empty one on first start. */
  load(): NetworkState {
    return fs.existsSync(this.file)
      ? (JSON.parse(fs.readFileSync(this.file, 'utf8')) as NetworkState)
      : emptyState();
  }

  /** Schedules a write of `snapshot()` (called when the write starts, so it sees every change made until then). */
  schedule(snapshot: () => NetworkState): void {
    this.dirty = true;
    this.writing ??= this.writeLoop(snapshot);
  }

  /** Resolves when nothing scheduled is left unwritten (rejects when the write failed). */
  flushed(): Promise<void> {
    return this.writing ?? Promise.resolve();
  }

  private async writeLoop(snapshot: () => NetworkState): Promise<void> {
    try {
      while (this.dirty) {
        this.dirty = false;
        await fs.promises.writeFile(`${this.file}.tmp`, JSON.stringify(snapshot()));
        await fs.promises.rename(`${this.file}.tmp`, this.file);
      }
    } finally {
      this.writing = undefined;
    }
  }

  resolvConfPath(taskId: string): string {
    return path.join(this.stateDir, 'resolv', `${taskId}.conf`);
  }

  /** Writes a task's resolv.conf pointing at its embedded DNS address; returns its path. */
  writeResolvConf(taskId: string, dnsServer: string): string {
    const p = this.resolvConfPath(taskId);
    fs.writeFileSync(
      p,
      `# written by tsstack: embedded DNS of this task\nnameserver ${dnsServer}\noptions ndots:0\n`,
    );
    return p;
  }

  async removeResolvConf(taskId: string): Promise<void> {
    await fs.promises.rm(this.resolvConfPath(taskId), { force: true });
  }

  resolvConfs(): string[] {
    try {
      return fs.readdirSync(path.join(this.stateDir, 'resolv'));
    } catch {
      return [];
    }
  }
}
