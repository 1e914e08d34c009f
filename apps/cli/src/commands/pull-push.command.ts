// `tsstack pull|push -f <file>`: pull the images of a stack's services into the local image store, or push
// them from it to their registries (as `docker compose pull|push`). The stack comes from the Compose files
// (libs/spec); the store and registry settings are those of `tsstack image` (store-options.ts).
import type { Command } from 'commander';
import type { StackSpec } from '@tsstack/model';
import { CliError } from '../client/cli-errors';
import { collect, type ImageCliOptions, openStore } from './image/store-options';
import { loadStackFiles, type StackFileOptions } from './stack-file';

/** Pure: each distinct image once, with the services that use it, in service-name order. */
export function stackImages(
  spec: StackSpec,
  only: string[] = [],
): Array<{ image: string; services: string[] }> {
  const names = Object.keys(spec.services).sort();
  const unknown = only.filter((n) => !names.includes(n));
  if (unknown.length)
    throw new CliError('NOT_FOUND', `no service ${unknown.join(', ')} in stack ${spec.name}`, 2);
  const byImage = new Map<string, string[]>();
  for (const n of names.filter((x) => !only.length || only.includes(x))) {
    const image = spec.services[n]!.image;
    if (!image) continue;
    byImage.set(image, [...(byImage.get(image) ?? []), n]);
  }
  return [...byImage].map(([image, services]) => ({ image, services }));
}

function withStackAndStore(c: Command): Command {
  return c
    .option('-f, --file <path>', 'Compose file (repeatable)', collect)
    .option('-p, --project-name <name>', 'stack name')
    .option('--profile <name>', 'enable a profile (repeatable)', collect)
    .option('--env-file <path>', 'env file for interpolation (repeatable)', collect)
    .option('--root <dir>', 'image store directory (env TSSTACK_IMAGE_ROOT, default /var/lib/tsstack/images)')
    .option('--insecure-registry <host>', 'talk plain HTTP to this registry (repeatable)', collect)
    .option('--auth-file <file>', 'credentials file written by `tsstack login`')
    .option('-q, --quiet', 'print nothing but errors')
    .argument('[services...]');
}

type Opts = StackFileOptions & ImageCliOptions & { quiet?: boolean; ignorePullFailures?: boolean };

export function register(program: Command): void {
  withStackAndStore(program.command('pull'))
    .description('pull the images of the stack services into the local image store')
    .option('--ignore-pull-failures', 'pull what can be pulled and exit 0')
    .action(async (only: string[], o: Opts) => {
      const images = stackImages(await loadStackFiles(o), only);
      const store = openStore(o);
      const failed: string[] = [];
      for (const { image, services } of images) {
        try {
          const img = await store.pull(image);
          if (!o.quiet) process.stdout.write(`pulled ${image} ${img.digest} (${services.join(', ')})\n`);
        } catch (err) {
          process.stderr.write(`pull ${image} failed: ${(err as Error).message}\n`);
          failed.push(image);
        }
      }
      if (failed.length && !o.ignorePullFailures) process.exitCode = 1;
    });

  withStackAndStore(program.command('push'))
    .description('push the images of the stack services from the local image store to their registries')
    .action(async (only: string[], o: Opts) => {
      const images = stackImages(await loadStackFiles(o), only);
      const store = openStore(o);
      for (const { image, services } of images) {
        const digest = await store.push(image);
        if (!o.quiet) process.stdout.write(`pushed ${image} ${digest} (${services.join(', ')})\n`);
      }
    });
}
