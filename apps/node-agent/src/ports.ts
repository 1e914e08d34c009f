// Ports the agent core needs from the host: a container runtime that lists its containers (labelled with
// their task id) and builds a TaskController per task. The real driver adapts libs/runtime + libs/image +
// libs/network; until those land, `unavailableRuntime` rejects every task with a clear reason.
import type { AssignmentSet, Task } from '@tsstack/model';
import type { ObservedContainer } from './exec/assignment-reconcile';
import type { TaskController } from './exec/task-executor';

export interface ContainerRuntimePort {
  /** Containers this agent's runtime knows, running or not. */
  list(): Promise<ObservedContainer[]>;
  /** A controller for a task; `adoptContainerId` when the container already exists. */
  controllerFor(task: Task, set: AssignmentSet, adoptContainerId?: string): TaskController;
  /** Remove a container and what was prepared for it (netns, mounts, cgroup). */
  removeContainer(containerId: string): Promise<void>;
}
