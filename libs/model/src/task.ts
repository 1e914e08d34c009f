// Tasks, nodes and their states. States are Swarm's, ordered with gaps and compared with `<`: they only move
// forward. A task has two fields with one writer each: `desiredState` (controller only) and `status` (agent
// only). A task's spec is a copy of its service's spec at creation, never changed after.
import type { ServiceSpec } from './service';

export enum TaskState {
  New = 0,
  Pending = 64,
  Assigned = 192,
  Accepted = 256,
  Preparing = 320,
  Ready = 384,
  Starting = 448,
  Running = 512,
  Complete = 576,
  Shutdown = 640,
  Failed = 704,
  Rejected = 768,
  Remove = 800,
  Orphaned = 832,
}

export type TaskStateName = Lowercase<keyof typeof TaskState>;

export function taskStateName(s: TaskState): TaskStateName {
  return TaskState[s].toLowerCase() as TaskStateName;
}

export function parseTaskState(name: string): TaskState {
  const key = Object.keys(TaskState).find((k) => k.toLowerCase() === name.toLowerCase() && isNaN(Number(k)));
  if (!key) throw new Error(`unknown task state: ${name}`);
  return TaskState[key as keyof typeof TaskState];
}

/** A terminal state: the task's container is gone or never came to be. */
export function isTerminal(s: TaskState): boolean {
  return s >= TaskState.Complete;
}

/** Of two reports about one task, the later state wins; equal states keep the newer report. */
export function mayAdvance(from: TaskState, to: TaskState): boolean {
  return to >= from;
}

export type HealthStatus = 'none' | 'starting' | 'healthy' | 'unhealthy';

export interface TaskStatus {
  state: TaskState;
  message: string;
  error?: string;
  exitCode?: number;
  signal?: string;
  oomKilled?: boolean;
  containerId?: string;
  pid?: number;
  health: HealthStatus;
  healthOutput?: string;
  /** ms since epoch of this report. */
  timestamp: number;
  startedAt?: number;
  finishedAt?: number;
  /** Progress while preparing, e.g. image pull bytes. */
  progress?: { done: number; total: number };
}

export interface TaskNetworkAttachment {
  network: string;
  address: string;
  aliases: string[];
}

export interface Task {
  id: string;
  stack: string;
  service: string;
  /** Replicated services: 1..replicas. Global services: undefined (one task per node). */
  slot?: number;
  nodeId?: string;
  specVersion: number;
  specHash: string;
  spec: ServiceSpec;
  desiredState: TaskState;
  status: TaskStatus;
  networks: TaskNetworkAttachment[];
  /** Why a task is pending (no node fits, ...). */
  pendingReason?: string;
  createdAt: number;
  updatedAt: number;
  /** Restart chain: how many times this slot was restarted in a row (0 for a first task). Controller only. */
  restartAttempt?: number;
  /** A delayed restart is not scheduled before this time (ms since epoch). Controller only. */
  notBefore?: number;
  /** Start of the restart_policy window the restart count belongs to (ms since epoch). Controller only. */
  restartWindowStart?: number;
}

export type NodeAvailability = 'active' | 'pause' | 'drain';
export type NodeStatus = 'ready' | 'down' | 'unknown';

export interface NodeResources {
  nanoCpus: number;
  memoryBytes: number;
}

export interface ClusterNode {
  id: string;
  hostname: string;
  role: 'manager' | 'worker';
  labels: Record<string, string>;
  availability: NodeAvailability;
  status: NodeStatus;
  /** The node's underlay address (VXLAN endpoint, ingress). */
  address: string;
  /** CIDRs the node's host routes (from its agent's hello): overlay subnets stay clear of them. */
  hostRoutes?: string[];
  resources: NodeResources;
  lastHeartbeat: number;
  agentVersion?: string;
  /** Optimistic-concurrency version of the stored node record (controller). */
  version?: number;
}
