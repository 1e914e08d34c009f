// What the store keeps besides tasks: stack and service records with their versions, and nodes with the hash
// of their credential. Plain data; the version is the optimistic-concurrency version of the record.
import type { ClusterNode, StackSpec } from '@tsstack/model';
import type { ServiceState } from '@tsstack/planner';

export interface StackRecord {
  name: string;
  /** Bumped on every write of the stack; `expectedVersion` on deploy is compared with it. */
  version: number;
  spec: StackSpec;
  createdAt: number;
  updatedAt: number;
}

export interface ServiceRecord extends ServiceState {
  version: number;
  /** Hash of the spec alone; `specHash` adds the force counter. */
  baseHash: string;
  /** `service restart` / `update --force` counter. */
  force: number;
  createdAt: number;
  updatedAt: number;
}

export interface NodeRecord extends ClusterNode {
  /** sha256 hex of the node's credential; never sent out. */
  credentialHash: string;
}

/** An event before it gets its stream id. */
export type EventInput = import('@tsstack/model').EventInput;
