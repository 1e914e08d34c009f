// Builds the commander program. Each command lives in commands/<name>.command.ts and exports
// `register(program)`; add it to REGISTRARS. Commands that have not landed yet are listed and say so.
import { Command } from 'commander';
import * as versionCommand from './commands/version.command';
import * as nodeAgentCommand from './commands/node-agent.command';
import * as imageCommand from './commands/image.command';
import * as controllerCommand from './commands/controller.command';
import * as systemCommand from './commands/system.command';
import * as upCommand from './commands/up.command';
import * as psCommand from './commands/ps.command';
import * as logsCommand from './commands/logs.command';
import * as completionCommand from './commands/completion.command';
import * as eventsCommand from './commands/events.command';
import * as serviceCommand from './commands/service.command';
import * as buildCommand from './commands/build.command';
import * as configCommand from './commands/config.command';
import * as execCommand from './commands/exec.command';
import * as statsCommand from './commands/stats.command';
import * as topCommand from './commands/top.command';
import * as stopStartCommand from './commands/stop-start.command';
import * as imagesCommand from './commands/images.command';
import * as pullPushCommand from './commands/pull-push.command';
import * as volumeCommand from './commands/volume.command';
import * as runCommand from './commands/run.command';

export const VERSION = '0.1.0';

type Registrar = { register(program: Command): void };

const REGISTRARS: Registrar[] = [
  versionCommand,
  nodeAgentCommand,
  imageCommand,
  controllerCommand,
  systemCommand,
  upCommand,
  psCommand,
  logsCommand,
  completionCommand,
  eventsCommand,
  serviceCommand,
  configCommand,
  buildCommand,
  execCommand,
  statsCommand,
  topCommand,
  stopStartCommand,
  imagesCommand,
  pullPushCommand,
  volumeCommand,
  runCommand,
];

/** Commands a later change implements; each prints that it is not built yet and exits 3. */
const PLANNED: Array<[string, string]> = [
  ['up', 'create and start a stack from Compose files'],
  ['down', 'stop and remove a stack'],
  ['ps', 'list the tasks of a stack'],
  ['logs', 'show the logs of services'],
  ['exec', 'run a command in a running task'],
  ['run', 'run a one-off task of a service'],
  ['scale', 'set the number of replicas of services'],
  ['restart', 'restart services (a forced rolling replacement)'],
  ['plan', 'show what `up` would change, without applying it'],
  ['events', 'stream events'],
  ['build', 'build service images'],
  ['image', 'manage images (ls, pull, push, rm, prune, import, export, inspect)'],
  ['service', 'manage services (ls, ps, inspect, update, rollback, scale, restart)'],
  ['stack', 'manage stacks (ls, rm)'],
  ['node', 'manage nodes (ls, inspect, update, rm, join-token)'],
  ['node-agent', 'run the node agent on this host'],
  ['controller', 'run a controller'],
  ['system', 'the embedded control plane (status, stop)'],
  ['login', 'log in to a registry'],
];

export function buildProgram(): Command {
  const program = new Command('tsstack')
    .description('Declarative multi-container orchestrator: Compose files in, containers out.')
    .version(VERSION, '-v, --version')
    .showHelpAfterError()
    .exitOverride((err) => {
      // Usage errors exit 2, like docker compose; help and version exit 0.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') process.exit(0);
      process.exit(err.exitCode === 0 ? 0 : 2);
    });
  for (const r of REGISTRARS) r.register(program);
  const registered = new Set(program.commands.map((c) => c.name()));
  for (const [name, description] of PLANNED.filter(([n]) => !registered.has(n))) {
    program
      .command(name)
      .description(`${description} (not built yet)`)
      .allowUnknownOption()
      .argument('[args...]')
      .action(() => {
        process.stderr.write(`tsstack ${name}: not built yet in this version\n`);
        process.exitCode = 3;
      });
  }
  return program;
}
