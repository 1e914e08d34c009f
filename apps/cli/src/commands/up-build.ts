// Compose `build:` inside `tsstack up`: before anything is deployed, every service with `build:` gets its
// image built into the node-local store the embedded agent reads (when missing, or always with --build),
// and its spec is pinned to the built manifest digest (`name@sha256:…`, as `docker stack deploy` pins) so
// a rebuild that changed the image updates the service and one that did not changes nothing. A remote
// controller's agents cannot see this host's store, so there a service that only has `build:` is refused.
import type { ServiceSpec, StackSpec } from '@tsstack/model';
import type { ImageRecord, ImageStore, RunStep } from '@tsstack/image';
import { buildImage } from '@tsstack/image';
import { CliError } from '../client/cli-errors';

/** --build (true) / --no-build (false) / neither (undefined: build only what is missing). */
export type BuildMode = boolean | undefined;

export interface BuildTarget {
  service: string;
  /** The reference the image is tagged with: the service's `image:` or `<project>-<service>`. */
  image: string;
  build: NonNullable<ServiceSpec['build']>;
  /** True when the Compose file named `image:` itself (so a registry may have it). */
  namedImage: boolean;
}

/** Services with `build:`, in name order. Pure. */
export function buildTargets(spec: StackSpec): BuildTarget[] {
  return Object.keys(spec.services)
    .sort()
    .flatMap((service) => {
      const s = spec.services[service]!;
      if (!s.build) return [];
      return [{ service, image: s.image, build: s.build, namedImage: s.image !== `${spec.name}-${service}` }];
    });
}

/**
 * With a remote controller nothing is built here: a service that has only `build:` cannot start on remote
 * agents, and --build cannot be honoured. Services with both `image:` and `build:` deploy `image:` (the
 * agents pull it), as `docker stack deploy` does. Throws a CliError naming the services; pure.
 */
export function refuseRemoteBuilds(targets: BuildTarget[], mode: BuildMode, controller: string): void {
  const refused = targets.filter((t) => mode === true || !t.namedImage);
  if (refused.length === 0) return;
  const names = refused.map((t) => t.service).join(', ');
  throw new CliError(
    'BUILD_REMOTE',
    `service ${names} has build: but the controller at ${controller} is remote, and an image built on this ` +
      `host cannot reach its nodes: build it with \`tsstack build -t REGISTRY/NAME:TAG\`, push it with ` +
      '`tsstack push`, and set image: REGISTRY/NAME:TAG on the service',
    1,
  );
}

/** `name@digest`: the exact manifest the service's tasks run, found locally by the agent. Pure. */
export function pinnedReference(image: string, digest: string): string {
  const at = image.indexOf('@');
  return `${at >= 0 ? image.slice(0, at) : image}@${digest}`;
}

/** Same layers and same config: a rebuild that produced nothing new (only timestamps differ). Pure. */
export function sameImageContent(
  a: Pick<ImageRecord, 'layers' | 'config'>,
  b: Pick<ImageRecord, 'layers' | 'config'>,
): boolean {
  const layers = (r: Pick<ImageRecord, 'layers'>): string => r.layers.map((l) => l.digest).join(',');
  return layers(a) === layers(b) && JSON.stringify(a.config) === JSON.stringify(b.config);
}

export interface BuildDeps {
  store: ImageStore;
  run: RunStep;
  /** One plain line of progress (the CLI writes it to stderr, like `tsstack build`). */
  say: (line: string) => void;
}

/**
 * Builds what `up` needs on a single host and pins every build service to its local image digest, so the
 * agent never asks a registry for it (pull policy `build` = local only). Nothing is deployed here: a failed
 * build throws a CliError naming the service before `up` talks to the controller. Idempotent.
 */
export async function buildForUp(spec: StackSpec, mode: BuildMode, deps: BuildDeps): Promise<void> {
  const built = new Map<string, string>();
  for (const t of buildTargets(spec)) {
    if (t.image.includes('@'))
      throw new CliError(
        'BUILD_DIGEST_IMAGE',
        `service ${t.service}: image: ${t.image} names a digest, so a build cannot be tagged with it; drop the @sha256:… part`,
        2,
      );
    let digest = built.get(t.image);
    if (digest === undefined) {
      digest = await ensureBuilt(t, mode, deps);
      built.set(t.image, digest);
    }
    const svc = spec.services[t.service]!;
    svc.image = pinnedReference(t.image, digest);
    svc.pullPolicy = 'build';
  }
}

async function ensureBuilt(t: BuildTarget, mode: BuildMode, deps: BuildDeps): Promise<string> {
  const before = await deps.store.get(t.image);
  if (before && mode !== true) return before.digest;
  if (!before && mode === false)
    throw new CliError(
      'BUILD_SKIPPED',
      `service ${t.service}: image ${t.image} is not in the local store and --no-build was given; run \`tsstack up\` without --no-build or \`tsstack build -t ${t.image} ${t.build.context}\``,
      1,
    );
  deps.say(`${t.service}: building ${t.image} from ${t.build.context} (${t.build.dockerfile})`);
  let result;
  try {
    result = await buildImage(deps.store, {
      context: t.build.context,
      dockerfile: t.build.dockerfile,
      buildArgs: t.build.args,
      target: t.build.target,
      labels: Object.keys(t.build.labels).length ? t.build.labels : undefined,
      tags: [t.image],
      run: deps.run,
      onStep: (line) => deps.say(`${t.service}: ${line}`),
    });
  } catch (err) {
    throw new CliError(
      'BUILD_FAILED',
      `service ${t.service}: building image ${t.image} failed, nothing was deployed: ${(err as Error).message}`,
      1,
      { cause: err },
    );
  }
  let digest = result.digest;
  if (before && sameImageContent(before, result)) {
    // Keep the old manifest so an unchanged rebuild leaves the service (and its tasks) alone.
    await deps.store.tag(t.image, before.digest);
    digest = before.digest;
  }
  deps.say(
    `${t.service}: built ${t.image} ${digest} (${result.layerSteps} layer steps, ${result.cacheHits} from the cache)`,
  );
  return digest;
}

/** For `plan`: pins build services to the images already in the local store, building nothing. */
export async function pinBuiltImages(spec: StackSpec, store: ImageStore): Promise<void> {
  for (const t of buildTargets(spec)) {
    const have = t.image.includes('@') ? undefined : await store.get(t.image);
    if (!have) continue;
    spec.services[t.service]!.image = pinnedReference(t.image, have.digest);
    spec.services[t.service]!.pullPolicy = 'build';
  }
}
