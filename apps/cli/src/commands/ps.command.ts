// `tsstack ps`, `down`, `scale`, `stack ls|rm`, `node ls|join-token`: thin commands over the REST API.
import type { Command } from 'commander';
import { cliContext, makeClient, withContext } from '../client/make-client';
import { ApiClient } from '../client/api-client';
import { CliError } from '../client/cli-errors';
import { renderPs, renderTable } from '../render/table-renderer';
import { withStackTarget } from './stack-file';

function out(json: boolean | undefined, value: unknown, text: () => string): void {
  process.stdout.write(json ? JSON.stringify(value) + '\n' : text());
}

/** How long `down -v` waits: the agents wait for the stack's containers to stop before removing its volumes. */
const DOWN_VOLUMES_TIMEOUT_MS = 150_000;

interface StackRemoved {
  volumes?: { removed: Array<{ node: string; name: string }>; unreached: string[] };
}

async function removeStack(cmd: Command, stack: string, volumes: boolean): Promise<void> {
  const ctx = cliContext(cmd);
  const client = volumes
    ? new ApiClient(ctx.url, ctx.token, fetch, DOWN_VOLUMES_TIMEOUT_MS)
    : makeClient(cmd);
  const res = (await client.removeStack(stack, volumes)) as StackRemoved | undefined;
  process.stdout.write(`removed stack ${stack}\n`);
  for (const v of res?.volumes?.removed ?? [])
    process.stdout.write(`removed volume ${v.name} on ${v.node}\n`);
  for (const n of res?.volumes?.unreached ?? [])
    process.stderr.write(`node ${n} was not reachable: its volumes stay until \`tsstack volume rm\`\n`);
}

export function register(program: Command): void {
  withContext(program.command('ps'))
    .description('list the tasks of a stack')
    .option('-p, --project-name <name>', 'stack name')
    .option('-a, --all', 'also show stopped tasks')
    .option('--format <format>', 'table|json', 'table')
    .option('--json', 'same as --format json')
    .action(
      async (o: { projectName?: string; all?: boolean; format: string; json?: boolean }, cmd: Command) => {
        if (o.format !== 'table' && o.format !== 'json')
          throw new CliError('USAGE', `--format ${o.format}: use table or json`, 2);
        const tasks = await makeClient(cmd).listTasks({ stack: o.projectName, all: o.all });
        out(o.json || o.format === 'json', tasks, () => renderPs(tasks));
      },
    );

  withStackTarget(withContext(program.command('down')))
    .description('stop and remove a stack')
    .option(
      '-v, --volumes',
      "also remove the stack's named volumes on every node, once its containers are gone",
    )
    .option('--remove-orphans', 'accepted for Compose scripts: down removes every service of the stack')
    .action(async (o: { projectName: string; volumes?: boolean }, cmd: Command) => {
      await removeStack(cmd, o.projectName, Boolean(o.volumes));
    });

  withStackTarget(withContext(program.command('scale')))
    .description('set the number of replicas of services')
    .argument('<service=replicas...>')
    .action(async (pairs: string[], o: { projectName: string }, cmd: Command) => {
      const client = makeClient(cmd);
      for (const pair of pairs) {
        const m = /^([^=]+)=(\d+)$/.exec(pair);
        if (!m) throw new CliError('USAGE', `${pair}: use service=replicas`, 2);
        await client.scale(o.projectName, m[1]!, Number(m[2]));
        process.stdout.write(`${m[1]} scaled to ${m[2]}\n`);
      }
    });

  const stack = program.command('stack').description('manage stacks (ls, rm)');
  withContext(stack.command('ls'))
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const stacks = await makeClient(cmd).listStacks();
      out(o.json, stacks, () =>
        renderTable(
          ['NAME', 'VERSION', 'SERVICES'],
          stacks.map((s) => [s.name, s.version, s.services]),
        ),
      );
    });
  withContext(stack.command('rm'))
    .argument('<stack>')
    .option(
      '-v, --volumes',
      "also remove the stack's named volumes on every node, once its containers are gone",
    )
    .action(async (name: string, o: { volumes?: boolean }, cmd: Command) => {
      await removeStack(cmd, name, Boolean(o.volumes));
    });

  const node = program.command('node').description('manage nodes (ls, inspect, update, rm, join-token)');
  withContext(node.command('ls'))
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const nodes = (await makeClient(cmd).listNodes()) as Array<Record<string, unknown>>;
      out(o.json, nodes, () =>
        renderTable(
          ['ID', 'NAME', 'STATUS', 'AVAILABILITY', 'ADDRESS'],
          nodes.map((n) => [n.id, n.name, n.status, n.availability, n.address] as Array<string | undefined>),
        ),
      );
    });
  withContext(node.command('inspect'))
    .argument('<id>')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      process.stdout.write(JSON.stringify(await makeClient(cmd).getNode(id), null, 2) + '\n');
    });
  withContext(node.command('update'))
    .argument('<id>')
    .option('--availability <a>', 'active|pause|drain')
    .option('--label-add <k=v>', 'add a label (repeatable)', (v: string, p: string[] = []) => [...p, v])
    .option('--label-rm <k>', 'remove a label (repeatable)', (v: string, p: string[] = []) => [...p, v])
    .action(
      async (
        id: string,
        o: { availability?: string; labelAdd?: string[]; labelRm?: string[] },
        cmd: Command,
      ) => {
        if (o.availability && !['active', 'pause', 'drain'].includes(o.availability)) {
          throw new CliError('USAGE', `--availability ${o.availability}: use active, pause or drain`, 2);
        }
        const labelAdd: Record<string, string> = {};
        for (const kv of o.labelAdd ?? []) {
          const i = kv.indexOf('=');
          if (i <= 0) throw new CliError('USAGE', `--label-add ${kv}: use key=value`, 2);
          labelAdd[kv.slice(0, i)] = kv.slice(i + 1);
        }
        await makeClient(cmd).updateNode(id, {
          ...(o.availability ? { availability: o.availability } : {}),
          ...(o.labelAdd ? { labelAdd } : {}),
          ...(o.labelRm ? { labelRm: o.labelRm } : {}),
        });
        process.stdout.write(`updated node ${id}\n`);
      },
    );
  withContext(node.command('rm'))
    .argument('<id>')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      await makeClient(cmd).removeNode(id);
      process.stdout.write(`removed node ${id}\n`);
    });
  withContext(node.command('join-token'))
    .description('print the token agents join with')
    .action(async (_o: unknown, cmd: Command) => {
      process.stdout.write(`${(await makeClient(cmd).joinToken()).token}\n`);
    });
}
