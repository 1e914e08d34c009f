// Task network namespaces: made by libs/network before the container exists, and joined by the container
// runtime by path (setns on the bind mount). Creation unshares a fresh namespace on a short-lived native
// thread and bind-mounts it; the Node main thread never changes namespace.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { netlink } from './native/net-binding';
import { safeTaskId } from './names';

export const DEFAULT_NETNS_DIR = '/run/tsstack/netns';

export function taskNetnsPath(taskId: string, netnsDir = DEFAULT_NETNS_DIR): string {
  return path.join(netnsDir, safeTaskId(taskId));
}

/**
 * Creates the network namespace of a task (loopback up) at `<netnsDir>/<taskId>` and returns its path.
 * Idempotent: an existing namespace at that path is kept and its path returned.
 */
export async function createTaskNetns(taskId: string, netnsDir = DEFAULT_NETNS_DIR): Promise<string> {
  const p = taskNetnsPath(taskId, netnsDir);
  fs.mkdirSync(netnsDir, { recursive: true });
  if (isNetnsMount(p)) return p;
  if (fs.existsSync(p)) fs.rmSync(p, { force: true }); // a file left by a crash before the mount
  await netlink.netnsCreate(p);
  return p;
}

/** Unmounts and deletes a task's namespace; the kernel frees it once no process is in it. Safe to call twice. */
export async function removeTaskNetns(taskId: string, netnsDir = DEFAULT_NETNS_DIR): Promise<void> {
  await netlink.netnsRemove(taskNetnsPath(taskId, netnsDir));
}

/** Task ids that have a namespace file under the directory (for the cleanup sweep). */
export function listTaskNetns(netnsDir = DEFAULT_NETNS_DIR): string[] {
  try {
    return fs.readdirSync(netnsDir);
  } catch {
    return [];
  }
}

/** True when `p` is a mounted network namespace (its inode lives on nsfs, not on the directory's fs). */
export function isNetnsMount(p: string): boolean {
  try {
    return fs.statSync(p).dev !== fs.statSync(path.dirname(p)).dev;
  } catch {
    return false;
  }
}
