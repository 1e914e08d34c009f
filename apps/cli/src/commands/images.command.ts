// `tsstack images -p <stack>`: the images the stack's deployed services use (from the controller), looked up
// in the local image store for their id and size; an image missing locally is shown as such.
import type { Command } from 'commander';
import type { ImageRecord } from '@tsstack/image';
import type { ServiceSummary } from '@tsstack/model';
import { CliError } from '../client/cli-errors';
import { makeClient, withContext } from '../client/make-client';
import { renderTable } from '../render/table-renderer';
import { openStore } from './image/store-options';
import { formatBytes } from './stats.command';
import { withStackTarget } from './stack-file';

export interface ImageRow {
  service: string;
  image: string;
  digest?: string;
  size?: number;
}

export function imageRows(
  services: ServiceSummary[],
  local: Map<string, ImageRecord | undefined>,
): ImageRow[] {
  return [...services]
    .sort((a, b) => a.service.localeCompare(b.service))
    .map((s) => {
      const img = local.get(s.image);
      return { service: s.service, image: s.image, ...(img ? { digest: img.digest, size: img.size } : {}) };
    });
}

export function renderImages(rows: ImageRow[]): string {
  return renderTable(
    ['SERVICE', 'IMAGE', 'ID', 'SIZE'],
    rows.map((r) => [
      r.service,
      r.image,
      r.digest ? r.digest.replace(/^sha256:/, '').slice(0, 12) : 'not in the local store',
      r.size === undefined ? '-' : formatBytes(r.size),
    ]),
  );
}

export function register(program: Command): void {
  withStackTarget(withContext(program.command('images')))
    .description('list the images used by the services of a stack')
    .option('--root <dir>', 'image store directory (env TSSTACK_IMAGE_ROOT, default /var/lib/tsstack/images)')
    .option('--format <format>', 'table|json', 'table')
    .action(async (o: { projectName: string; root?: string; format: string }, cmd: Command) => {
      if (o.format !== 'table' && o.format !== 'json')
        throw new CliError('USAGE', `--format ${o.format}: use table or json`, 2);
      const services = (await makeClient(cmd).listServices(o.projectName)) as ServiceSummary[];
      if (!services.length) throw new CliError('NOT_FOUND', `stack ${o.projectName} has no services`, 1);
      const store = openStore({ root: o.root });
      const local = new Map<string, ImageRecord | undefined>();
      for (const s of services) if (!local.has(s.image)) local.set(s.image, await store.get(s.image));
      const rows = imageRows(services, local);
      process.stdout.write(o.format === 'json' ? JSON.stringify(rows) + '\n' : renderImages(rows));
    });
}
