// `tsstack build [-t name:tag] [-f Dockerfile] [--build-arg K=V] [--target stage] [--label k=v] CONTEXT`:
// builds a Dockerfile into the node-local image store; RUN steps run as containers of the native core.
import type { Command } from 'commander';
import { buildImage } from '@tsstack/image';
import { buildRuntime, runtimeRunStep } from './image/runtime-run-step';
import { collect, ImageCliOptions, openStore } from './image/store-options';

function pairs(list: string[] | undefined, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list ?? []) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new Error(`${what} wants KEY=VALUE, got "${kv}"`);
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

interface BuildCliOptions extends ImageCliOptions {
  tag?: string[];
  file?: string;
  buildArg?: string[];
  label?: string[];
  target?: string;
  noCache?: boolean;
  quiet?: boolean;
}

export function register(program: Command): void {
  program
    .command('build')
    .description('build an image from a Dockerfile (FROM, COPY, ADD, RUN, ENV, ARG, WORKDIR, USER, CMD, ...)')
    .argument('[context]', 'build context directory', '.')
    .option('-t, --tag <name:tag>', 'name the image (repeatable)', collect)
    .option('-f, --file <Dockerfile>', 'Dockerfile path (default CONTEXT/Dockerfile)')
    .option('--build-arg <KEY=VALUE>', 'set a build argument (repeatable)', collect)
    .option('--label <KEY=VALUE>', 'add a label to the image (repeatable)', collect)
    .option('--target <stage>', 'build up to this stage')
    .option('--no-cache', 'do not reuse cached layers')
    .option('-q, --quiet', 'print only the image digest')
    .option('--root <dir>', 'image store directory (env TSSTACK_IMAGE_ROOT, default /var/lib/tsstack/images)')
    .option('--insecure-registry <host>', 'talk plain HTTP to this registry (repeatable)', collect)
    .option('--auth-file <file>', 'credentials file written by `tsstack login`')
    .action(async (context: string, o: BuildCliOptions) => {
      const r = await buildImage(openStore(o), {
        context,
        dockerfile: o.file,
        buildArgs: pairs(o.buildArg, '--build-arg'),
        labels: o.label ? pairs(o.label, '--label') : undefined,
        target: o.target,
        tags: o.tag,
        noCache: o.noCache === true,
        run: runtimeRunStep(buildRuntime()),
        onStep: o.quiet ? undefined : (line) => process.stderr.write(`${line}\n`),
      });
      if (!o.quiet) process.stderr.write(`${r.layerSteps} layer steps, ${r.cacheHits} from the cache\n`);
      console.log(r.references.length ? `${r.references.join(' ')} ${r.digest}` : r.digest);
    });
}
