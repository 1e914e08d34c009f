// Events: every state change, appended to one capped stream. `id` is the stream id, the resume cursor.
export type EventType =
  | 'stack.updated'
  | 'stack.removed'
  | 'service.created'
  | 'service.updated'
  | 'service.removed'
  | 'service.scaled'
  | 'service.update.status'
  | 'task.created'
  | 'task.state'
  | 'task.health'
  | 'task.removed'
  /** Periodic resource use of a running task (data: a TaskStatsSample without its ids), rate-bounded. */
  | 'task.stats'
  | 'task.desired'
  | 'task.pending'
  | 'node.joined'
  | 'node.status'
  | 'node.updated'
  | 'node.removed'
  | 'image.pull.progress'
  | 'stats'
  | 'controller.leader'
  /** Sent to an events client resuming from an id older than the capped stream keeps. */
  | 'stream.gap';

export interface TsstackEvent {
  id: string;
  time: number;
  type: EventType;
  stack?: string;
  service?: string;
  task?: string;
  node?: string;
  from?: string;
  to?: string;
  message?: string;
  data?: Record<string, unknown>;
}

/** An event before the stream gives it an id (and, when absent, a time). */
export type EventInput = Omit<TsstackEvent, 'id' | 'time'> & { time?: number };

export type UpdateStatus =
  'updating' | 'paused' | 'completed' | 'rollback_started' | 'rollback_paused' | 'rollback_completed';
