// Ports the agent core needs from the host: a container runtime that lists its containers (labelled with
// their task id) and builds a TaskController per task. The real driver is drivers/native-runtime.ts
// (libs/runtime + libs/image + a network port); tests may inject their own.
import type { AssignmentSet, HealthStatus, Task } from '@tsstack/model';
import type {
  ContainerSpec,
  ContainerStats,
  ExecOptions,
  ExecProcess,
  LogEntry,
  LogOptions,
  ProcessRow,
} from '@tsstack/runtime';
import type { ObservedContainer } from './exec/assignment-reconcile';
import type { TaskController } from './exec/task-executor';

/** What a controller reports besides state steps: health changes of a running task. */
export interface TaskHooks {
  onHealth?(status: HealthStatus, output?: string): void;
  /** Rewrites the container spec just before it is created (the one-off of `tsstack run` swaps its process). */
  containerSpec?(spec: ContainerSpec): ContainerSpec;
}

export interface ContainerRuntimePort {
  /** Containers this agent's runtime knows, running or not. */
  list(): Promise<ObservedContainer[]>;
  /** A controller for a task; `adoptContainerId` when the container already exists. */
  controllerFor(task: Task, set: AssignmentSet, adoptContainerId?: string, hooks?: TaskHooks): TaskController;
  /** Remove a container and what was prepared for it (netns, mounts, cgroup). */
  removeContainer(containerId: string): Promise<void>;
  /** On behalf of the controller (logs, exec, stats, top); absent in drivers that run no real container. */
  logs?(containerId: string, o: LogOptions): AsyncGenerator<LogEntry>;
  exec?(containerId: string, o: ExecOptions): ExecProcess;
  stats?(containerId: string): Promise<ContainerStats>;
  top?(containerId: string): Promise<ProcessRow[]>;
}
