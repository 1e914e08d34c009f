// The CLI's view of the REST contract's response shapes. libs/model/src/api.ts (controller team) has not
// landed yet; when it does, these become re-exports of it.
export type PlanAction = 'create' | 'update' | 'remove' | 'unchanged';

export interface ServicePlan {
  service: string;
  action: PlanAction;
  reasons: string[];
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
}

export interface StackSummary {
  name: string;
  version: number;
  services: number;
}
