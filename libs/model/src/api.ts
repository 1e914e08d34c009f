// libs/model/src/api.ts: typed request/response shapes of the controller REST API (controller implements,
// CLI consumes). Additive only. Errors are always {error: {code, message, issues?}}.
import type { SpecIssue } from './errors';
import type { StackSpec, ServiceSpec } from './service';
import type { ClusterNode, NodeAvailability } from './task';

/** `orphaned`: deployed, no longer in the stack files, kept (as Compose and `docker stack deploy` without
 * `--remove-orphans` / `--prune` do). */
export type PlanAction = 'create' | 'update' | 'remove' | 'unchanged' | 'orphaned';

export interface ServicePlan {
  service: string;
  action: PlanAction;
  /** Human reasons such as "image changed", "replicas 2->5". */
  reasons: string[];
}

export interface ApiErrorBody {
  error: { code: string; message: string; issues?: SpecIssue[] };
}

export interface HealthResponse {
  status: 'ok' | 'degraded';
  leader?: boolean;
  redis?: 'up' | 'down';
}
export interface JoinTokenResponse {
  joinToken: string;
}

export interface PlanRequest {
  stack: StackSpec;
  /** Remove the services that are not in `stack` (default: keep them, as orphans). */
  removeOrphans?: boolean;
}
export interface PlanResponse {
  plan: ServicePlan[];
}
export interface DeployRequest {
  stack: StackSpec;
  expectedVersion?: number;
  /** Remove the services that are not in `stack` (default: keep them, as orphans). */
  removeOrphans?: boolean;
}
export interface DeployResponse {
  version: number;
  plan: ServicePlan[];
}

export interface StackSummary {
  name: string;
  version: number;
  services: number;
}
export interface StackListResponse {
  stacks: StackSummary[];
}
export interface StackResponse extends StackSummary {
  spec: StackSpec;
}

export interface ServiceSummary {
  stack: string;
  service: string;
  mode: 'replicated' | 'global' | 'replicated-job' | 'global-job';
  replicas: number;
  running: number;
  image: string;
  version: number;
  /** Bumped by every spec change (not by a scale); tasks carry the one they were made from. */
  specVersion?: number;
  updateState?: 'updating' | 'paused' | 'completed' | 'rolling_back' | 'rollback_completed';
}
export interface ServiceListResponse {
  services: ServiceSummary[];
}
export interface ServiceResponse extends ServiceSummary {
  spec: ServiceSpec;
  previousSpec?: ServiceSpec;
}
export interface ScaleRequest {
  replicas: number;
}
export interface ServiceUpdateRequest {
  spec?: ServiceSpec;
  force?: boolean;
}

export interface TaskRow {
  service: string;
  task: string;
  slot?: number;
  node?: string;
  state: string;
  desiredState: string;
  containerId?: string;
  startedAt?: string;
  exitCode?: number;
  error?: string;
  /** The image of the task's spec copy. */
  image?: string;
  /** The service spec version the task was created from. */
  specVersion?: number;
  health?: string;
  /** Bytes of the image pull the task waits on, while it prepares. */
  progress?: { done: number; total: number };
}
export interface TaskListResponse {
  tasks: TaskRow[];
}

export interface NodeListResponse {
  nodes: ClusterNode[];
}
export interface NodeUpdateRequest {
  availability?: NodeAvailability;
  labelAdd?: Record<string, string>;
  labelRm?: string[];
}

/** One NDJSON line of GET /v1/services/:stack/:service/logs. */
export interface LogLine {
  task: string;
  stream: 'stdout' | 'stderr';
  time: string;
  line: string;
}
