// Plain data the cluster planner reads and returns: desired services (as the store keeps them), the rolling
// update progress of each, tasks, nodes and the time; out come task upserts/deletes, progress and events.
import type { ClusterNode, ServiceSpec, Task, TsstackEvent, UpdateStatus } from '@tsstack/model';

/** A service's desired state as stored. `specHash` already includes the force-restart counter. */
export interface ServiceState {
  /** `<stack>/<service>` */
  key: string;
  stack: string;
  name: string;
  spec: ServiceSpec;
  specHash: string;
  /** Bumped whenever specHash changes (a new rolling update). */
  specVersion: number;
  previousSpec?: ServiceSpec;
  /** The current spec came from a rollback: rollback_config applies, states are rollback_*. */
  rollback?: boolean;
}

/** Rolling update progress of one service (written only by the reconcile leader). */
export interface UpdateProgress {
  /** The service specVersion this progress is about; another version starts a new update. */
  specVersion: number;
  state: UpdateStatus;
  startedAt: number;
  completedAt?: number;
  /** Slot keys of the batch under way. */
  batch: string[];
  /** The next batch may not start before this (update_config.delay after a batch). */
  nextBatchAt: number;
  /** The update completes no sooner than this (monitor after the last batch). */
  monitorUntil: number;
  /** Slot keys taken into a batch so far. */
  updatedSlots: string[];
  /** Slots that needed the update when it started (the denominator of the failure ratio, as Swarm). */
  dirtySlots?: number;
  /** Ids of updated tasks that failed within monitor (the numerator). */
  failedTasks: string[];
  /** Task id -> when it first counted as updated (running and healthy); monitor runs from there. */
  okAt?: Record<string, number>;
  message?: string;
}

/** An event the planner asks the controller to append (the stream gives id and time). */
export type PlannedEvent = Omit<TsstackEvent, 'id' | 'time' | 'data'>;

export interface ClusterInput {
  now: number;
  services: ServiceState[];
  /** Keyed by service key. */
  progress: Record<string, UpdateProgress | undefined>;
  tasks: Task[];
  nodes: ClusterNode[];
  /** Fresh unique task ids (injected so plans are deterministic in tests). */
  newId(): string;
  /** Terminal tasks kept per slot as history (Swarm: 5). */
  historyLimit?: number;
}

export interface ClusterPlan {
  /** New tasks and tasks whose controller-owned fields changed (full objects). */
  upserts: Task[];
  deletes: string[];
  /** Changed progress only, keyed by service key. */
  progress: Record<string, UpdateProgress>;
  /** Services whose failure_action asks for a rollback: the caller swaps spec and previousSpec. */
  rollbacks: string[];
  events: PlannedEvent[];
}
