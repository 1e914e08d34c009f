// apps/controller: public door. startController runs the whole controller (REST, agent dispatcher, event
// stream, reconcile leader) over Redis; see docs/controller.md.
export { startController } from './start-controller';
export type { ControllerHandle } from './start-controller';
export type { ControllerOptions } from './config/controller-config';
export { completeService, completeStack } from './domain/spec-defaults';
