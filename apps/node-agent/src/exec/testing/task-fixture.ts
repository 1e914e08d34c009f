// A task for the executor's unit tests: in `state`, wanting `desired`, with an empty spec.
import { TaskState, type ServiceSpec, type Task } from '@tsstack/model';

export function taskIn(state: TaskState, desired: TaskState = TaskState.Running, message = ''): Task {
  return {
    id: 't1',
    stack: 's',
    service: 'web',
    slot: 1,
    specVersion: 1,
    specHash: 'h',
    spec: {} as ServiceSpec,
    desiredState: desired,
    status: { state, message, health: 'none', timestamp: 0 },
    networks: [],
    createdAt: 0,
    updatedAt: 0,
  };
}
