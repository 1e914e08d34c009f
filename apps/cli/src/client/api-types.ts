// The REST contract's shapes the CLI uses; the one definition lives in libs/model/src/api.ts.
export type { PlanAction, ServicePlan, TaskRow, StackSummary } from '@tsstack/model';
