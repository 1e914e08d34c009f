// apps/node-agent: public door. The node agent joins a controller, realizes its assigned tasks and reports.
export { startAgent, cleanupAgent, runtimeStateRoot, DEFAULT_STATE_DIR } from './agent';
export type { AgentOptions, AgentHandle } from './agent';
export type { ContainerRuntimePort, TaskHooks } from './ports';
export { nativeRuntime } from './drivers/native-runtime';
export type { TaskNetworkPort, NativeRuntimeDeps } from './drivers/native-runtime';
export { buildContainerSpec, containerIdFor } from './drivers/container-spec';
export { AgentJoinError, AgentDependencyMissingError } from './errors';
export { TASK_ID_LABEL, reconcileAssignments } from './exec/assignment-reconcile';
export type { ObservedContainer, ReconcileAction } from './exec/assignment-reconcile';
export { doStep, runTask, TaskRejectedError } from './exec/task-executor';
export type { TaskController, ExitInfo } from './exec/task-executor';
export { applyProbe, initialHealth, nextProbeDelay, probeCommand } from './exec/health-machine';
export { writeSecret, writeConfig, ensureSecretsTmpfs } from './files/file-objects';
export { planTaskMounts } from './files/mount-plan';
export type { HostMount, MountDirs } from './files/mount-plan';
export { startHealthMonitor } from './exec/health-monitor';
export type { HealthMonitor, ProbeExec } from './exec/health-monitor';
