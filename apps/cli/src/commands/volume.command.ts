// `tsstack volume ls|inspect|rm`: named volumes (local driver) on every node, as `docker volume` shows them.
// A stack's volumes are created on first use, kept across redeploys, and removed only by `volume rm` or
// `down --volumes`; removal is refused while a container uses the volume.
import type { Command } from 'commander';
import type { VolumeRow } from '@tsstack/model';
import { makeClient, withContext } from '../client/make-client';
import { renderTable } from '../render/table-renderer';

const enc = encodeURIComponent;

export function register(program: Command): void {
  const volume = program.command('volume').description('manage named volumes (ls, inspect, rm)');

  withContext(volume.command('ls'))
    .description('list named volumes on every node')
    .option('-p, --project-name <name>', 'only this stack')
    .option('--json', 'print JSON')
    .action(async (o: { projectName?: string; json?: boolean }, cmd: Command) => {
      const rows = (await makeClient(cmd).request<VolumeRow[]>('GET', '/v1/volumes')).filter(
        (r) => !o.projectName || r.stack === o.projectName,
      );
      if (o.json) return void process.stdout.write(JSON.stringify(rows) + '\n');
      process.stdout.write(
        renderTable(
          ['DRIVER', 'VOLUME NAME', 'NODE', 'IN USE BY'],
          rows.map((r) => [r.driver, r.name, r.nodeName, r.usedBy.join(',') || '-']),
        ),
      );
    });

  withContext(volume.command('inspect'))
    .description('show a volume on each node that holds it (JSON)')
    .argument('<name...>')
    .action(async (names: string[], _o: unknown, cmd: Command) => {
      const client = makeClient(cmd);
      const rows: VolumeRow[] = [];
      for (const n of names)
        rows.push(...(await client.request<VolumeRow[]>('GET', `/v1/volumes/${enc(n)}`)));
      process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    });

  withContext(volume.command('rm'))
    .description('remove volumes from every node (refused while a container uses one)')
    .argument('<name...>')
    .action(async (names: string[], _o: unknown, cmd: Command) => {
      const client = makeClient(cmd);
      for (const n of names) {
        await client.request('DELETE', `/v1/volumes/${enc(n)}`);
        process.stdout.write(`${n}\n`);
      }
    });
}
