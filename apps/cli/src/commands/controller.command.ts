// `tsstack controller`: run the controller in the foreground until SIGINT/SIGTERM (calls startController).
import type { Command } from 'commander';
import { dataDir } from '../client/context';
import { CliError } from '../client/cli-errors';

type StartController = (opts: {
  listen: string;
  redisUrl?: string;
  dataDir: string;
}) => Promise<{ url: string; close(): Promise<void> }>;

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
    .action(async (o: { listen: string; redis?: string; dataDir?: string }) => {
      const start = await loadStartController();
      const ctl = await start({
        listen: o.listen,
        dataDir: o.dataDir ?? dataDir(process.env),
        ...(o.redis ? { redisUrl: o.redis } : {}),
      });
      process.stdout.write(`tsstack controller listening on ${ctl.url}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => void ctl.close().then(resolve, resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
