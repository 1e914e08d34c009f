// The wire contract between controller and node agents: JSON messages over one authenticated WebSocket per
// agent (path /agent). The controller is the only writer of desired state and assignments; the agent is the
// only writer of task status. Agents get the full assignment set on every (re)connect, then deltas that name
// the version they apply to; a gap in versions makes the agent ask for a full set again.
import type { NetworkSpec, FileObjectSpec, VolumeSpec } from './service';
import type { ClusterNode, NodeResources, Task, TaskStatus } from './task';

/** One endpoint (a task's address on a network) as every node on that network sees it. */
export interface NetworkEndpoint {
  taskId: string;
  taskName: string; // <stack>_<service>.<slot or node id>
  service: string;
  aliases: string[];
  address: string; // IPv4 without prefix
  mac: string;
  nodeId: string;
  nodeAddress: string; // underlay address of the node running the task (VXLAN FDB)
  /** Healthy and running: in DNS answers and VIP backends. */
  serving: boolean;
}

/** A network as one node must realize it: spec plus everything the controller allocated. */
export interface NetworkAssignment {
  id: string; // <stack>_<network>
  stack: string;
  spec: NetworkSpec;
  subnet: string; // CIDR
  gateway: string;
  vni?: number; // overlay only
  /** Service name -> virtual IP (endpoint_mode vip). */
  vips: Record<string, string>;
  endpoints: NetworkEndpoint[];
  /**
   * Overlay: each node's own address on this network (allocated by the controller from the subnet), the
   * source address of VIP and ingress traffic a node sends to a task on another node, so replies return.
   */
  nodeEndpoints?: NetworkNodeEndpoint[];
}

/** One node's own presence on an overlay network (see NetworkAssignment.nodeEndpoints). */
export interface NetworkNodeEndpoint {
  nodeId: string;
  nodeAddress: string; // underlay
  address: string; // on the overlay subnet
}

/** Published ingress ports of a stack: every node accepts and forwards to serving endpoints. */
export interface IngressPort {
  stack: string;
  service: string;
  published: number;
  target: number;
  protocol: 'tcp' | 'udp';
  localOnly: boolean;
}

export interface AssignmentSet {
  version: number;
  tasks: Task[];
  networks: NetworkAssignment[];
  volumes: VolumeSpec[];
  configs: Record<string, FileObjectSpec>; // key: <stack>_<name>
  secrets: Record<string, FileObjectSpec>;
  ingress: IngressPort[];
}

// ---- agent -> controller ----
export interface HelloMessage {
  type: 'hello';
  joinToken?: string; // first join
  nodeId?: string; // reconnect with the credential got at join
  credential?: string;
  hostname: string;
  address: string;
  labels: Record<string, string>;
  resources: NodeResources;
  agentVersion: string;
  /** CIDRs the host routes, so IPAM never hands out overlapping subnets. */
  hostRoutes: string[];
}
export interface HeartbeatMessage {
  type: 'heartbeat';
}
export interface TaskStatusMessage {
  type: 'task.status';
  taskId: string;
  status: TaskStatus;
}
export interface ResyncRequest {
  type: 'resync';
}
export interface ResponseMessage {
  type: 'response';
  requestId: string;
  /** Chunked streams (logs, exec output) send many with done=false, then one with done=true. */
  done: boolean;
  data?: unknown;
  error?: string;
}
/** One running task's resource use, as the agent samples it every stats interval. */
export interface TaskStatsSample {
  taskId: string;
  stack: string;
  service: string;
  /** Percent of one CPU over the last interval (Docker's way: 200 = two CPUs busy); absent on the first sample. */
  cpuPercent?: number;
  memoryUsageBytes: number;
  /** Absent when the task has no memory limit. */
  memoryLimitBytes?: number;
  pids: number;
  /** Counted over every interface of the task's network namespace but loopback. */
  netRxBytes: number;
  netTxBytes: number;
  readAt: number;
}
export interface TaskStatsMessage {
  type: 'task.stats';
  samples: TaskStatsSample[];
}
export type AgentMessage =
  HelloMessage | HeartbeatMessage | TaskStatusMessage | TaskStatsMessage | ResyncRequest | ResponseMessage;

// ---- controller -> agent ----
export interface WelcomeMessage {
  type: 'welcome';
  node: ClusterNode;
  credential: string;
  heartbeatMs: number;
}
export interface AssignmentsFull {
  type: 'assignments.full';
  set: AssignmentSet;
}
export interface AssignmentsDelta {
  type: 'assignments.delta';
  baseVersion: number;
  version: number;
  upsertTasks: Task[];
  removeTasks: string[];
  upsertNetworks: NetworkAssignment[];
  removeNetworks: string[];
  /** Full replacement of these maps/lists when present. */
  volumes?: VolumeSpec[];
  configs?: Record<string, FileObjectSpec>;
  secrets?: Record<string, FileObjectSpec>;
  ingress?: IngressPort[];
}
export interface RequestMessage {
  type: 'request';
  requestId: string;
  op:
    | 'logs'
    | 'exec'
    | 'stats'
    | 'top'
    | 'exec.stdin'
    | 'exec.resize'
    | 'cancel'
    | 'volume.ls'
    | 'volume.rm'
    | 'run';
  /** The task the request is about; '' for node-wide ops (volume.*). */
  taskId: string;
  args: Record<string, unknown>;
}
/** A named volume as one node holds it (answer of `volume.ls`). Local driver: a directory on that node. */
export interface NodeVolume {
  /** <stack>_<name>, as Compose names a stack's volumes. */
  name: string;
  stack?: string;
  driver: 'local';
  mountpoint: string;
  createdAt?: number;
  labels: Record<string, string>;
  /** Tasks whose containers (running or stopped) mount it on this node. */
  usedBy: string[];
}

/** `volume.rm` args: remove these volumes once unused, waiting up to `waitMs` (0: refuse when in use). */
export interface VolumeRemoveArgs {
  names: string[];
  waitMs?: number;
}
/** `volume.rm` answer; a volume still in use ends the request with an error naming its tasks instead. */
export interface VolumeRemoveResult {
  removed: string[];
  missing: string[];
}

/** A volume across the cluster (REST /v1/volumes): one entry per node that holds it. */
export interface VolumeRow extends NodeVolume {
  node: string;
  nodeName: string;
}

export interface RejectMessage {
  type: 'reject';
  reason: string;
}
export type ControllerMessage =
  WelcomeMessage | AssignmentsFull | AssignmentsDelta | RequestMessage | RejectMessage;
