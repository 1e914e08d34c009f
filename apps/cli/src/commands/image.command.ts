// `tsstack image ls|pull|push|rm|prune|import|export|inspect` and `tsstack login`: the node-local image store.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { parseReference, RegistryAuthError, RegistryClient } from '@tsstack/image';
import { CliError } from '../client/cli-errors';
import { imageTable, humanSize } from './image/format';
import { PullProgress } from './image/pull-progress';
import { collect, defaultAuthFile, ImageCliOptions, openStore } from './image/store-options';

function withStoreOptions(c: Command): Command {
  return c
    .option('--root <dir>', 'image store directory (env TSSTACK_IMAGE_ROOT, default /var/lib/tsstack/images)')
    .option(
      '--insecure-registry <host>',
      'talk plain HTTP to this registry (repeatable; env TSSTACK_INSECURE_REGISTRIES)',
      collect,
    )
    .option('--auth-file <file>', 'credentials file written by `tsstack login`');
}

export function register(program: Command): void {
  const image = program
    .command('image')
    .description('manage images (ls, pull, push, rm, prune, import, export, inspect)');

  withStoreOptions(image.command('ls').description('list local images')).action(
    async (o: ImageCliOptions) => {
      console.log(imageTable(await openStore(o).list()));
    },
  );

  withStoreOptions(image.command('pull').description('pull an image from a registry').argument('<ref>'))
    .option('--platform <os/arch>', 'platform to pick from a multi-platform image')
    .action(async (ref: string, o: ImageCliOptions & { platform?: string }) => {
      const [osName, architecture] = (o.platform ?? '').split('/');
      const bars = new PullProgress();
      const img = await openStore(o).pull(ref, {
        platform: o.platform ? { os: osName, architecture } : undefined,
        onProgress: bars.onProgress,
      });
      bars.finish();
      console.log(`${img.reference} ${img.digest}`);
    });

  withStoreOptions(
    image
      .command('push')
      .description('push a local image to its registry')
      .argument('<ref>')
      .argument('[target]', 'push under another name'),
  ).action(async (ref: string, target: string | undefined, o: ImageCliOptions) => {
    const digest = await openStore(o).push(ref, { as: target });
    console.log(`${target ?? ref} ${digest}`);
  });

  withStoreOptions(image.command('rm').description('remove image references').argument('<refs...>')).action(
    async (refs: string[], o: ImageCliOptions) => {
      const store = openStore(o);
      for (const r of refs) {
        await store.remove(r);
        console.log(`removed ${r}`);
      }
    },
  );

  withStoreOptions(image.command('prune').description('delete content no image or container uses')).action(
    async (o: ImageCliOptions) => {
      const r = await openStore(o).prune();
      console.log(`removed ${r.removedBlobs} blobs, freed ${humanSize(r.freedBytes)}`);
    },
  );

  withStoreOptions(
    image
      .command('import')
      .description(
        'import a docker-save archive, an OCI archive or layout directory, or a root filesystem tar (found by looking; the flags force one)',
      )
      .argument('<path>')
      .argument('[ref]'),
  )
    .option('--docker', 'the file is a `docker save` archive')
    .option('--oci', 'the file is an OCI image layout archive')
    .option('--rootfs', 'the file is a plain root filesystem tarball (needs a ref)')
    .action(
      async (
        p: string,
        ref: string | undefined,
        o: ImageCliOptions & { docker?: boolean; oci?: boolean; rootfs?: boolean },
      ) => {
        const forced = (['docker', 'oci', 'rootfs'] as const).filter((f) => o[f]);
        if (forced.length > 1)
          throw new CliError('USAGE', 'pass at most one of --docker, --oci, --rootfs', 2);
        const img = await openStore(o).import(p, { ref, format: forced[0] });
        console.log(`${img.reference} ${img.digest}`);
      },
    );

  withStoreOptions(
    image
      .command('export')
      .description(
        'write an image as an OCI layout directory (or .tar), or with --docker as a `docker save` archive',
      )
      .argument('<ref>')
      .argument('<target>'),
  )
    .option('--docker', 'write a `docker save` archive (a .tar file) for `docker load`')
    .action(async (ref: string, dir: string, o: ImageCliOptions & { docker?: boolean }) => {
      if (o.docker) await openStore(o).exportDockerArchive(ref, dir);
      else await openStore(o).exportOciLayout(ref, dir);
      console.log(`exported ${ref} to ${dir}`);
    });

  withStoreOptions(
    image.command('inspect').description('print an image record as JSON').argument('<ref>'),
  ).action(async (ref: string, o: ImageCliOptions) => {
    const img = await openStore(o).get(ref);
    if (!img) {
      process.stderr.write(`tsstack: image ${ref} not found locally\n`);
      process.exitCode = 1;
      return;
    }
    console.log(JSON.stringify(img, null, 2));
  });

  withStoreOptions(program.command('login').description('log in to a registry').argument('<registry>'))
    .requiredOption('-u, --username <user>', 'user name')
    .option('-p, --password <password>', 'password (or --password-stdin)')
    .option('--password-stdin', 'read the password from stdin')
    .action(
      async (
        registry: string,
        o: ImageCliOptions & { username: string; password?: string; passwordStdin?: boolean },
      ) => {
        const password = o.passwordStdin ? fs.readFileSync(0, 'utf8').trim() : (o.password ?? '');
        const file = o.authFile ?? defaultAuthFile();
        const host = parseReference(`${registry}/x`).registry;
        const all = fs.existsSync(file)
          ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>)
          : {};
        const creds = { username: o.username, password };
        // Check the credentials before saving them.
        const insecure = [
          ...(o.insecureRegistry ?? []),
          ...(process.env.TSSTACK_INSECURE_REGISTRIES ?? '').split(','),
        ];
        const probe = new RegistryClient(host, {
          insecure: insecure.includes(host),
          credentials: creds,
          retries: 1,
        });
        const res = await probe.request('GET', '/v2/');
        if (res.status === 401) throw new RegistryAuthError(host, 'wrong user name or password');
        all[host] = creds;
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, JSON.stringify(all, null, 2), { mode: 0o600 });
        fs.chmodSync(file, 0o600);
        console.log(`login succeeded for ${host}`);
      },
    );
}
