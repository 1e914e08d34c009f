// `tsstack system status|stop`: the embedded single-host control plane started by `tsstack up`.
import * as path from 'node:path';
import type { Command } from 'commander';
import { dataDir } from '../client/context';
import { cliContext, withContext } from '../client/make-client';
import { status, stopAll } from '../system/daemons';
import { renderTable } from '../render/table-renderer';

export function register(program: Command): void {
  // `down -v` (volumes) must not be read as the program's `-v` (version): program options count only
  // before the subcommand. --context stays accepted in both places (here and on each API command).
  program.enablePositionalOptions();
  program.option('--context <url>', 'controller URL (default: $TSSTACK_HOST or http://127.0.0.1:7700)');
  const system = program.command('system').description('the embedded control plane (status, stop)');
  withContext(system.command('status'))
    .description('show the pids, logs and address of the embedded control plane')
    .option('--json', 'print JSON')
    .action((o: { json?: boolean }, cmd: Command) => {
      const dir = dataDir(process.env);
      const st = status(dir);
      const url = cliContext(cmd).url;
      if (o.json) {
        // Addresses: the controller's URL, and the owned redis-server's unix socket (no TCP port).
        const addressed = {
          ...st,
          controller: { ...st.controller, address: url },
          redis: { ...st.redis, address: `unix://${path.join(dir, 'redis', 'redis.sock')}` },
        };
        process.stdout.write(JSON.stringify({ ...addressed, controllerUrl: url, dataDir: dir }) + '\n');
        return;
      }
      process.stdout.write(
        renderTable(
          ['DAEMON', 'PID', 'LOG'],
          Object.entries(st).map(([n, s]) => [n, s.pid ?? 'stopped', s.log]),
        ) + `controller: ${url}\ndata dir: ${dir}\n`,
      );
    });
  system
    .command('stop')
    .description('stop the embedded controller, node agent and redis')
    .action(async () => {
      const stopped = await stopAll(dataDir(process.env));
      process.stdout.write(stopped.length ? `stopped ${stopped.join(', ')}\n` : 'nothing was running\n');
    });
}
