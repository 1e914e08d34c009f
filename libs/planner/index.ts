// libs/planner: pure planning core of the controller (no Redis, no clock). Public door of this context.
export { canonicalJson, serviceSpecHash } from './src/spec-hash';
export { diffService, planStack } from './src/stack-diff';
export { ConstraintSyntaxError, checkConstraint, pickNode, placeReplicas } from './src/scheduler';
export type { ScheduleInput, ScheduleResult } from './src/scheduler';
