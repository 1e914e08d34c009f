// libs/model: the shared, typed vocabulary of tsstack (stack, service, task, node, event, errors). Pure.
export * from './src/errors';
export * from './src/service';
export * from './src/task';
export * from './src/event';
export * from './src/protocol';
export * from './src/api';
export * from './src/seccomp-profile';
