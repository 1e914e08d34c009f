// `tsstack service ls|ps|inspect|scale|update|rollback|restart` and the top-level `restart`: one service at a time.
import type { Command } from 'commander';
import { makeClient, withContext } from '../client/make-client';
import { CliError } from '../client/cli-errors';
import { renderPs, renderTable } from '../render/table-renderer';
import { withStackTarget } from './stack-file';

/** "stack/service" → [stack, service]; usage error (exit 2) otherwise. */
export function parseServiceRef(ref: string): [string, string] {
  const m = /^([^/]+)\/([^/]+)$/.exec(ref);
  if (!m) throw new CliError('USAGE', `${ref}: name a service as <stack>/<service>`, 2);
  return [m[1]!, m[2]!];
}

export function register(program: Command): void {
  const service = program
    .command('service')
    .description('manage services (ls, ps, inspect, scale, update, rollback, restart)');
  withContext(service.command('ls'))
    .option('-p, --project-name <name>', 'only this stack')
    .option('--json', 'print JSON')
    .action(async (o: { projectName?: string; json?: boolean }, cmd: Command) => {
      const list = (await makeClient(cmd).listServices(o.projectName)) as Array<Record<string, unknown>>;
      process.stdout.write(
        o.json
          ? JSON.stringify(list) + '\n'
          : renderTable(
              ['STACK', 'SERVICE', 'REPLICAS', 'IMAGE'],
              list.map(
                (s) => [s.stack, s.name ?? s.service, s.replicas, s.image] as Array<string | undefined>,
              ),
            ),
      );
    });
  withContext(service.command('ps'))
    .argument('<stack/service>')
    .option('--json', 'print JSON')
    .action(async (ref: string, o: { json?: boolean }, cmd: Command) => {
      const [stack, svc] = parseServiceRef(ref);
      const tasks = await makeClient(cmd).listTasks({ stack, service: svc });
      process.stdout.write(o.json ? JSON.stringify(tasks) + '\n' : renderPs(tasks));
    });
  withContext(service.command('inspect'))
    .argument('<stack/service>')
    .action(async (ref: string, _o: unknown, cmd: Command) => {
      const [stack, svc] = parseServiceRef(ref);
      process.stdout.write(JSON.stringify(await makeClient(cmd).getService(stack, svc), null, 2) + '\n');
    });
  withContext(service.command('scale'))
    .argument('<stack/service>')
    .argument('<replicas>')
    .action(async (ref: string, n: string, _o: unknown, cmd: Command) => {
      const [stack, svc] = parseServiceRef(ref);
      if (!/^\d+$/.test(n)) throw new CliError('USAGE', `replicas ${n}: use a whole number`, 2);
      await makeClient(cmd).scale(stack, svc, Number(n));
      process.stdout.write(`${svc} scaled to ${n}\n`);
    });
  withContext(service.command('update'))
    .argument('<stack/service>')
    .option('--force', 'replace every task even if nothing changed')
    .action(async (ref: string, o: { force?: boolean }, cmd: Command) => {
      const [stack, svc] = parseServiceRef(ref);
      await makeClient(cmd).serviceAction(stack, svc, 'update', { force: Boolean(o.force) });
      process.stdout.write(`${svc} update started\n`);
    });
  for (const action of ['rollback', 'restart'] as const) {
    withContext(service.command(action))
      .argument('<stack/service>')
      .action(async (ref: string, _o: unknown, cmd: Command) => {
        const [stack, svc] = parseServiceRef(ref);
        await makeClient(cmd).serviceAction(stack, svc, action);
        process.stdout.write(`${svc} ${action} started\n`);
      });
  }
  withStackTarget(withContext(program.command('restart')))
    .description('restart services (a forced rolling replacement)')
    .argument('<service...>')
    .action(async (services: string[], o: { projectName: string }, cmd: Command) => {
      const client = makeClient(cmd);
      for (const svc of services) {
        await client.serviceAction(o.projectName, svc, 'restart');
        process.stdout.write(`${svc} restart started\n`);
      }
    });
}
