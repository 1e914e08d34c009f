// libs/planner: pure planning core of the controller (no Redis, no clock). Public door of this context.
export { diffService, keepOrphans, orphanServices, planStack } from './src/stack-diff';
export type { StackPlanOptions } from './src/stack-diff';
export { ConstraintSyntaxError, checkConstraint, pickNode, placeReplicas } from './src/scheduler';
export type { ScheduleInput, ScheduleResult } from './src/scheduler';
export { BACKOFF_CAP_MS, BACKOFF_MIN_MS, STABLE_RUN_MS, decideRestart } from './src/restart-backoff';
export type { RestartDecision, RestartHistory } from './src/restart-backoff';
export { planReplicatedSlots } from './src/replicated-slots';
export type { SlotPlan, SlotTask } from './src/replicated-slots';
export type {
  ClusterInput,
  ClusterPlan,
  PlannedEvent,
  ServiceState,
  UpdateProgress,
} from './src/cluster-types';
export { DEFAULT_HISTORY_LIMIT, planCluster, taskNetworks } from './src/orchestrator';
export { isOutdatedSlot, stepUpdate, updateConfigOf } from './src/rolling-update';
export type { UpdateOps, UpdateSlot } from './src/rolling-update';
export {
  endedInFailure,
  failedWithinMonitor,
  hasHealthcheck,
  isCurrent,
  isFinished,
  isGlobal,
  isHealthyRunning,
  isJob,
} from './src/task-rules';
export { nodeLiveness } from './src/node-liveness';
export type { NodeStatusChange } from './src/node-liveness';
export { assignmentTasks, forceHash, isDraining } from './src/assignments';
export { normalizeHostPath, reviewStack, riskySettings, sensitiveHostPath, SENSITIVE_HOST_PATHS } from './src/security-review'; // prettier-ignore
export type { RiskySetting, ServiceRisks } from './src/security-review';
