// `tsstack node-agent`: run the node agent on this host until SIGINT/SIGTERM, or `--cleanup` to remove
// everything a previous agent created under its state dir.
import type { Command } from 'commander';

// The agent (and the native runtime under it) is loaded when this command runs, not with every command.
const loadAgent = () => import('@tsstack/node-agent');

function parseLabels(s: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of (s ?? '').split(',').filter(Boolean)) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new Error(`bad label ${JSON.stringify(kv)}: use key=value`);
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

export function register(program: Command): void {
  program
    .command('node-agent')
    .description('run the node agent on this host')
    .option(
      '--controller <urls>',
      'controller URL(s), comma-separated, tried in turn: http://10.0.0.1:7700,http://10.0.0.2:7700',
    )
    .option('--token <token>', 'join token (tsstack node join-token)')
    .option('--labels <k=v,...>', 'node labels')
    .option('--state-dir <dir>', 'state directory (default: /var/lib/tsstack/agent)')
    .option('--name <name>', 'node name (default: hostname)')
    .option('--address <ip>', 'underlay address of this node')
    .option(
      '--image-root <dir>',
      'image store shared with `tsstack image` ($TSSTACK_IMAGE_ROOT)',
      process.env.TSSTACK_IMAGE_ROOT ?? '/var/lib/tsstack/images',
    )
    .option('--cgroup-parent <path>', 'cgroup under which containers get theirs', '/tsstack')
    .option('--stats-interval <seconds>', 'how often task stats go to the controller (0: never)', '10')
    .option('--cleanup', 'remove everything the agent created under --state-dir, then exit')
    .action(
      async (o: {
        controller?: string;
        token?: string;
        labels?: string;
        stateDir?: string;
        name?: string;
        address?: string;
        imageRoot: string;
        cgroupParent: string;
        statsInterval: string;
        cleanup?: boolean;
      }) => {
        if (o.cleanup) {
          await (await loadAgent()).cleanupAgent(o.stateDir, undefined, o.imageRoot);
          return;
        }
        const statsSeconds = Number(o.statsInterval);
        if (!Number.isFinite(statsSeconds) || statsSeconds < 0) {
          process.stderr.write(`tsstack node-agent: --stats-interval ${o.statsInterval}: use seconds >= 0\n`);
          process.exitCode = 2;
          return;
        }
        if (!o.controller || !o.token) {
          process.stderr.write('tsstack node-agent: --controller and --token are required\n');
          process.exitCode = 2;
          return;
        }
        try {
          const agent = await (
            await loadAgent()
          ).startAgent({
            controllerUrl: o.controller,
            joinToken: o.token,
            stateDir: o.stateDir,
            name: o.name,
            address: o.address,
            imageRoot: o.imageRoot,
            cgroupParent: o.cgroupParent,
            statsIntervalMs: statsSeconds * 1000,
            labels: parseLabels(o.labels),
            log: (m) => process.stderr.write(`node-agent: ${m}\n`),
          });
          process.stderr.write(`node-agent: joined as ${agent.nodeId}\n`);
          const stop = () => void agent.close().then(() => process.exit(0));
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        } catch (err) {
          process.stderr.write(`tsstack node-agent: ${(err as Error).message}\n`);
          process.exitCode = 1;
        }
      },
    );
}
