// Kernel names tsstack gives its objects: interface names (at most 15 bytes) derived from stable ids, MACs
// derived from addresses (so every node computes a remote endpoint's MAC the same way). The cleanup sweep
// recognises links by the same prefixes (ts + br|vx|ve + hex). Pure.
import { createHash } from 'node:crypto';

/** Links tsstack makes in a host namespace (bridge, vxlan, host end of a veth); the sweep matches these. */
export const TSSTACK_LINK = /^ts(br|vx|ve)[0-9a-f]+$/;

function h(text: string, len: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, len);
}

export const bridgeName = (networkId: string): string => `tsbr${h(networkId, 8)}`;
export const vxlanName = (networkId: string): string => `tsvx${h(networkId, 8)}`;
/** Host end of a task's veth on a network. */
export const hostVethName = (taskId: string, networkId: string): string =>
  `tsve${h(`${taskId}/${networkId}`, 10)}`;

/** 02:42 followed by the four address bytes: a locally administered unicast MAC unique per address. */
export function macForAddress(ip: string): string {
  const bytes = ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0'));
  return ['02', '42', ...bytes].join(':');
}

/** Task ids become file names under the netns directory: keep them to a safe alphabet. */
export function safeTaskId(taskId: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(taskId)) {
    throw new TypeError(`task id "${taskId}" must be 1-128 characters of [A-Za-z0-9_.-]`);
  }
  return taskId;
}
