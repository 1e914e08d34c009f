// `tsstack controller`: run the controller in the foreground until SIGINT/SIGTERM (calls startController).
import type { Command } from 'commander';
import { dataDir } from '../client/context';
import { CliError } from '../client/cli-errors';

export interface ControllerStartOptions {
  listen: string;
  policy?: string;
  redisUrl?: string;
  dataDir: string;
  heartbeatMs?: number;
  nodeDownAfterMisses?: number;
  leaseMs?: number;
}

type StartController = (opts: ControllerStartOptions) => Promise<{ url: string; close(): Promise<void> }>;

export interface ControllerFlags {
  listen: string;
  policy?: string;
  redis?: string;
  dataDir?: string;
  heartbeatMs?: string;
  nodeDownAfter?: string;
  leaseMs?: string;
}

function positiveInt(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0)
    throw new CliError(
      'BAD_FLAG',
      `tsstack controller: ${flag} must be a positive whole number, got "${v}"`,
      2,
    );
  return n;
}

/** The startController options of the command line flags (validated). */
export function controllerOptions(
  o: ControllerFlags,
  env: NodeJS.ProcessEnv = process.env,
): ControllerStartOptions {
  const heartbeatMs = positiveInt('--heartbeat-ms', o.heartbeatMs);
  const nodeDownAfterMisses = positiveInt('--node-down-after', o.nodeDownAfter);
  const leaseMs = positiveInt('--lease-ms', o.leaseMs);
  const policy = o.policy ?? (env.TSSTACK_POLICY || undefined);
  if (policy !== undefined && !['compose', 'strict'].includes(policy))
    throw new CliError(
      'BAD_FLAG',
      `tsstack controller: --policy must be compose or strict, got "${policy}"`,
      2,
    );
  return {
    listen: o.listen,
    dataDir: o.dataDir ?? dataDir(env),
    ...(policy ? { policy } : {}),
    ...(o.redis ? { redisUrl: o.redis } : {}),
    ...(heartbeatMs !== undefined ? { heartbeatMs } : {}),
    ...(nodeDownAfterMisses !== undefined ? { nodeDownAfterMisses } : {}),
    ...(leaseMs !== undefined ? { leaseMs } : {}),
  };
}

/** The controller app is loaded at run time so the CLI still works while it has not landed. */
export async function loadStartController(): Promise<StartController> {
  const mod = (await import('@tsstack/controller')) as Record<string, unknown>;
  if (typeof mod.startController !== 'function') {
    throw new CliError(
      'NOT_BUILT',
      'tsstack controller: the controller (apps/controller) is not built yet in this version',
      3,
    );
  }
  return mod.startController as StartController;
}

export function register(program: Command): void {
  program
    .command('controller')
    .description('run a controller in the foreground')
    .option('--listen <addr>', 'address to listen on', '127.0.0.1:7700')
    .option('--redis <url>', 'redis URL (default: start and own a local redis-server under the data dir)')
    .option('--data-dir <dir>', 'data directory (default: $TSSTACK_DATA_DIR or /var/lib/tsstack)')
    .option(
      '--policy <policy>',
      'compose (default: what Compose accepts) or strict (refuse settings that weaken isolation: privileged, dangerous cap_add, host pid/network, sensitive binds, raw devices, seccomp unconfined); default $TSSTACK_POLICY',
    )
    .option('--heartbeat-ms <ms>', 'interval agents send heartbeats at (default 2000)')
    .option('--node-down-after <n>', 'missed heartbeats before a node is down and its tasks move (default 3)')
    .option(
      '--lease-ms <ms>',
      'leader lease; a crashed leader is replaced after about this long (default 3000)',
    )
    .action(async (o: ControllerFlags) => {
      const opts = controllerOptions(o);
      const start = await loadStartController();
      const ctl = await start(opts);
      process.stdout.write(`tsstack controller listening on ${ctl.url}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => void ctl.close().then(resolve, resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
