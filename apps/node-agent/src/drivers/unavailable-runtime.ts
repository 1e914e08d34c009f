// The runtime port used while libs/runtime is not built: lists nothing and rejects every task with a reason
// that says what is missing, so the controller can reschedule and the user sees why.
import type { ContainerRuntimePort } from '../ports';
import { TaskRejectedError } from '../exec/task-executor';

const REASON = 'no container runtime in this build (libs/runtime has not landed); cannot create containers';

export const unavailableRuntime: ContainerRuntimePort = {
  list: async () => [],
  controllerFor: () => ({
    prepare: async () => {
      throw new TaskRejectedError(REASON);
    },
    start: async () => {
      throw new TaskRejectedError(REASON);
    },
    wait: async () => ({ exitCode: 0 }),
    shutdown: async () => undefined,
    terminate: async () => undefined,
    remove: async () => undefined,
  }),
  removeContainer: async () => undefined,
};
