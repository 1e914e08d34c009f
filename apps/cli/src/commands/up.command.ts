// `tsstack up` and `tsstack plan`: load the stack files, build the images of `build:` services (up-build.ts)
// before anything is deployed, print the plan, apply it, then follow progress until every service reached
// its goal or one failed / --timeout passed (exit 1). With --wait that is the end (exit 0); with -d alone `up`
// returns after the plan; by default it then attaches to the stack's logs (up-attached.ts), as compose does.
import type { Command } from 'commander';
import type { StackSpec } from '@tsstack/model';
import { dataDir } from '../client/context';
import { cliContext, makeClient, withContext } from '../client/make-client';
import { CliError } from '../client/cli-errors';
import { ensureControlPlane } from './embedded';
import { collect, loadStackFiles, type StackFileOptions } from './stack-file';
import { orphanWarning, renderPlan } from '../render/plan-renderer';
import { renderRiskWarnings } from '../render/risk-renderer';
import { followProgress } from './up-progress';
import { AttachedUp } from './up-attached';
import { forgetStopped } from './stop-start.command';
import { buildRuntime, runtimeRunStep } from './image/runtime-run-step';
import { openStore } from './image/store-options';
import { buildForUp, buildTargets, pinBuiltImages, refuseRemoteBuilds } from './up-build';
import { embeddedAgentImageRoot } from './up-image-root';

function stackOptions(cmd: Command): Command {
  return cmd
    .option('-f, --file <path>', 'Compose file (repeatable)', collect)
    .option('-p, --project-name <name>', 'stack name')
    .option('--profile <name>', 'enable a profile (repeatable)', collect)
    .option('--env-file <path>', 'env file for interpolation (repeatable)', collect);
}

interface UpOptions extends StackFileOptions {
  detach?: boolean;
  wait?: boolean;
  timeout: string;
  scale?: string[];
  removeOrphans?: boolean;
  pull?: string;
  build?: boolean;
  json?: boolean;
}

/** Applies --scale service=n to the loaded spec (usage error, exit 2, when malformed or unknown). */
export function applyScale(spec: StackSpec, scales: string[]): void {
  for (const s of scales) {
    const m = /^([^=]+)=(\d+)$/.exec(s);
    if (!m) throw new CliError('USAGE', `--scale ${s}: use service=replicas`, 2);
    const svc = spec.services[m[1]!];
    if (!svc) throw new CliError('USAGE', `--scale ${s}: no service ${m[1]} in stack ${spec.name}`, 2);
    svc.deploy.replicas = Number(m[2]);
  }
}

const PULL_POLICIES = ['always', 'missing', 'never'] as const;

/**
 * Applies --pull always|missing|never to every service that is not built by `up` (usage error, exit 2, for
 * any other value). It becomes the services' pull policy, so the agents pull (or refuse to) accordingly.
 */
export function applyPullFlag(spec: StackSpec, pull: string | undefined): void {
  if (pull === undefined) return;
  const policy = PULL_POLICIES.find((p) => p === pull);
  if (!policy) throw new CliError('USAGE', `--pull ${pull}: use ${PULL_POLICIES.join('|')}`, 2);
  for (const svc of Object.values(spec.services)) if (!svc.build) svc.pullPolicy = policy;
}

/**
 * Names on stderr, per service, the settings that weaken its isolation (libs/planner's review, loaded when a
 * command runs); binds of the data dir count as tsstack's own state.
 */
async function warnRisks(spec: StackSpec): Promise<void> {
  const { reviewStack } = await import('@tsstack/planner');
  process.stderr.write(renderRiskWarnings(reviewStack(spec, [dataDir(process.env)])));
}

/** Builds (or refuses to build) the stack's `build:` services before `up` deploys anything. */
async function prepareBuilds(spec: StackSpec, o: UpOptions, cmd: Command): Promise<void> {
  const ctx = cliContext(cmd);
  const targets = buildTargets(spec);
  if (targets.length === 0) return;
  if (!ctx.isDefault) return refuseRemoteBuilds(targets, o.build, ctx.url);
  const root = embeddedAgentImageRoot(dataDir(process.env));
  await buildForUp(spec, o.build, {
    store: openStore({ root }),
    run: runtimeRunStep(buildRuntime()),
    say: (line) => process.stderr.write(`${line}\n`),
  });
}

export function register(program: Command): void {
  stackOptions(withContext(program.command('up')).description('create and start a stack from Compose files'))
    .option('-d, --detach', 'return once the plan is applied')
    .option('--wait', 'wait until every service reached its goal, then exit (implies -d)')
    .option('--timeout <seconds>', 'give up waiting after this long', '300')
    .option('--scale <service=n>', 'override replicas (repeatable)', collect)
    .option('--remove-orphans', 'remove services no longer in the stack files (default: keep them running)')
    .option('--pull <policy>', 'pull policy of services without build: (always|missing|never)')
    .option('--build', 'build images of services with build: even when present')
    .option('--no-build', 'never build; fail when a build: image is missing')
    .action(async (o: UpOptions, cmd: Command) => {
      const spec = await loadStackFiles(o);
      applyScale(spec, o.scale ?? []);
      applyPullFlag(spec, o.pull);
      await warnRisks(spec);
      await prepareBuilds(spec, o, cmd);
      const client = await ensureControlPlane(cliContext(cmd), dataDir(process.env));
      const since = new Date().toISOString();
      const res = await client.deploy(spec.name, spec, { removeOrphans: o.removeOrphans === true });
      forgetStopped(spec.name, Object.keys(spec.services));
      process.stdout.write(renderPlan(spec.name, res.plan));
      const orphans = orphanWarning(spec.name, res.plan);
      if (orphans) process.stderr.write(orphans);
      const timeoutMs = Number(o.timeout) * 1000;
      if (o.wait) {
        if (!(await followProgress(client, spec, timeoutMs))) process.exitCode = 1;
        return;
      }
      if (o.detach) return;
      const code = await new AttachedUp({ client, spec, since, timeoutMs }).run();
      // Log streams stay open while their containers run: end the process, once stdout is flushed.
      process.stdout.write('', () => process.exit(code));
    });

  stackOptions(
    withContext(program.command('plan')).description('show what `up` would change, without applying it'),
  )
    .option('--json', 'print JSON')
    .option('--remove-orphans', 'plan the removal of services no longer in the stack files')
    .action(async (o: UpOptions, cmd: Command) => {
      const spec = await loadStackFiles(o);
      await warnRisks(spec);
      if (cliContext(cmd).isDefault && buildTargets(spec).length)
        await pinBuiltImages(spec, openStore({ root: embeddedAgentImageRoot(dataDir(process.env)) }));
      const res = await makeClient(cmd).plan(spec.name, spec, o.removeOrphans === true);
      process.stdout.write(o.json ? JSON.stringify(res.plan) + '\n' : renderPlan(spec.name, res.plan));
    });
}
