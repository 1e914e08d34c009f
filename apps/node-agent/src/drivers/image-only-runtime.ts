// Runtime port over libs/image only (libs/runtime has not landed): `prepare` really ensures the task's image
// (pull policy from the spec; `build` counts as `never`) and prepares its rootfs dirs, so a missing image is
// rejected with the image store's reason; `start` rejects because no container runtime is built yet.
import type { ImageStore } from '@tsstack/image';
import type { ContainerRuntimePort } from '../ports';
import { TaskRejectedError } from '../exec/task-executor';
import { unavailableRuntime } from './unavailable-runtime';

export function imageOnlyRuntime(images: ImageStore): ContainerRuntimePort {
  return {
    ...unavailableRuntime,
    controllerFor: (task, set, adopt) => {
      const base = unavailableRuntime.controllerFor(task, set, adopt);
      return {
        ...base,
        prepare: async () => {
          const policy = task.spec.pullPolicy === 'build' ? 'never' : (task.spec.pullPolicy ?? 'missing');
          try {
            await images.ensure(task.spec.image, policy);
            await images.prepareRootfs(task.spec.image, task.id);
          } catch (err) {
            throw new TaskRejectedError(`image ${task.spec.image}: ${(err as Error).message}`);
          }
        },
      };
    },
  };
}
