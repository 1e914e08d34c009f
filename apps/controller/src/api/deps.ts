// Injection tokens of the Nest app: the controller's runtime parts, built before Nest starts and handed in
// as values (no reflection needed to wire them).
import type { StateStore } from '@tsstack/store';
import type { AgentDispatcher } from '../dispatch/agent-dispatcher';
import type { RequestRouter } from '../dispatch/request-router';
import type { ClusterEngine } from '../reconcile/cluster-engine';
import type { ControllerMetrics } from './controller-metrics';

export const STORE = Symbol('StateStore');
export const STACKS = Symbol('StackService');
export const SERVICES = Symbol('ServiceOps');
export const NODES = Symbol('NodeOps');
export const VOLUMES = Symbol('VolumeOps');
export const RUNTIME = Symbol('ControllerRuntime');

/** What the system endpoints need to know about this controller. */
export interface ControllerRuntime {
  store: StateStore;
  engine: ClusterEngine;
  dispatcher: AgentDispatcher;
  router: RequestRouter;
  metrics: ControllerMetrics;
  joinToken(): string;
  redisUp(): boolean;
}
