// The controller's options, validated once at start-up into a typed config. A bad option fails with a
// message naming it.
import { TsstackError } from '@tsstack/model';

export interface ControllerOptions {
  /** host:port to listen on; port 0 picks a free one. */
  listen: string;
  /** Use this Redis; without it the controller starts and owns a redis-server under dataDir. */
  redisUrl?: string;
  dataDir: string;
  /** Agent heartbeat interval (default 2000 ms). */
  heartbeatMs?: number;
  /** A node is down after this many missed heartbeats (default 3). */
  nodeDownAfterMisses?: number;
  /** Reconcile leader lease (default 3000 ms). */
  leaseMs?: number;
  /** Key prefix in Redis (default "ts:"). */
  redisPrefix?: string;
  /** Structured logs (pino) level; default info, "silent" for none. */
  logLevel?: string;
  /**
   * A task told to stop stays in its node's assignments until the agent reports it stopped, at most this
   * long (default 30000 ms); then it is dropped and the agent removes its container as an orphan.
   */
  stoppingGraceMs?: number;
  /** An events client with more than this many bytes unsent is cut off (default 8 MiB). */
  eventsSlowClientBytes?: number;
  /**
   * A running task told to stop is first shown `serving: false` to every node, and its own agent is told to
   * stop it only this long after (default 1000 ms; 0 = no drain).
   */
  endpointDrainMs?: number;
  /**
   * What deploys accept: `compose` (default) everything Compose does; `strict` refuses settings that weaken a
   * container's isolation (privileged, dangerous cap_add, host pid/network, binds of sensitive host paths,
   * raw devices, seccomp unconfined: libs/planner riskySettings).
   */
  policy?: string;
}

export type DeployPolicy = 'compose' | 'strict';
export const DEPLOY_POLICIES: DeployPolicy[] = ['compose', 'strict'];

export interface ControllerConfig {
  host: string;
  port: number;
  redisUrl?: string;
  dataDir: string;
  heartbeatMs: number;
  nodeDownAfterMisses: number;
  leaseMs: number;
  redisPrefix: string;
  logLevel: string;
  /** A stopping task is dropped from its node's assignments after this long without a final report. */
  dropStoppingAfterMs: number;
  eventsSlowClientBytes: number;
  endpointDrainMs: number;
  policy: DeployPolicy;
}

class ConfigError extends TsstackError {
  constructor(option: string, message: string) {
    super('CONTROLLER_CONFIG', `controller option ${option}: ${message}`);
  }
}

function positive(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isFinite(v) || v <= 0) throw new ConfigError(name, `must be a positive number, got ${v}`);
  return v;
}

export function parseConfig(o: ControllerOptions): ControllerConfig {
  const m = /^(.*):(\d+)$/.exec(o.listen ?? '');
  if (!m)
    throw new ConfigError('listen', `"${o.listen}" is not host:port (e.g. 127.0.0.1:7700, port 0 = any)`);
  if (!o.dataDir) throw new ConfigError('dataDir', 'is required (e.g. /var/lib/tsstack)');
  const heartbeatMs = positive('heartbeatMs', o.heartbeatMs, 2000);
  const policy = (o.policy ?? 'compose') as DeployPolicy;
  if (!DEPLOY_POLICIES.includes(policy))
    throw new ConfigError('policy', `"${o.policy}" is not one of ${DEPLOY_POLICIES.join(', ')}`);
  return {
    host: m[1]!.replace(/^\[|\]$/g, '') || '0.0.0.0',
    port: Number(m[2]),
    redisUrl: o.redisUrl,
    dataDir: o.dataDir,
    heartbeatMs,
    nodeDownAfterMisses: positive('nodeDownAfterMisses', o.nodeDownAfterMisses, 3),
    leaseMs: positive('leaseMs', o.leaseMs, 3000),
    redisPrefix: o.redisPrefix ?? 'ts:',
    logLevel: o.logLevel ?? process.env.TSSTACK_LOG_LEVEL ?? 'info',
    dropStoppingAfterMs: positive('stoppingGraceMs', o.stoppingGraceMs, 30_000),
    eventsSlowClientBytes: positive('eventsSlowClientBytes', o.eventsSlowClientBytes, 8 * 2 ** 20),
    endpointDrainMs: o.endpointDrainMs === 0 ? 0 : positive('endpointDrainMs', o.endpointDrainMs, 1000),
    policy,
  };
}
