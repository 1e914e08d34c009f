// Pure outbox of task status reports: keeps only the newest report per task (a later state always wins,
// equal states keep the newer report), drained in insertion order when the session is connected.
import { mayAdvance, type TaskStatus } from '@tsstack/model';

export class StatusOutbox {
  private readonly pending = new Map<string, TaskStatus>();

  put(taskId: string, status: TaskStatus): void {
    const prev = this.pending.get(taskId);
    if (prev && !mayAdvance(prev.state, status.state)) return;
    this.pending.delete(taskId);
    this.pending.set(taskId, status);
  }

  drain(): Array<[string, TaskStatus]> {
    const out = [...this.pending.entries()];
    this.pending.clear();
    return out;
  }

  get size(): number {
    return this.pending.size;
  }
}
