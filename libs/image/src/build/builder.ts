// `tsstack build`: runs a Dockerfile's instructions stage by stage against the image store. Config-only
// instructions (ENV, ARG, WORKDIR of an existing dir, USER, LABEL, EXPOSE, ENTRYPOINT, CMD, HEALTHCHECK,
// STOPSIGNAL, SHELL, VOLUME) change the config and add an empty-layer history entry; COPY, ADD, RUN and a
// WORKDIR that must be created add one gzip layer each. Every step extends a cache key (parent key +
// instruction + the content of its inputs) and a layer step with a known key reuses the cached layer. RUN
// goes through an injected RunStep (a container of tsstack's native core), never a host chroot.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ImageStore } from '../image-store';
import { parseReference } from '../reference';
import { Lease } from '../lease-store';
import { chainIds, LayerToUnpack } from '../snapshot-store';
import { Descriptor, ImageConfig, MT, OciManifest, RootfsDirs } from '../types';
import { BuildCache } from './build-cache';
import { BuildError } from './build-error';
import { download, isArchive, resolveOwner } from './copy-sources';
import { copyEntries, CopySource, expandSource } from './copy-step';
import { DockerIgnore } from './dockerignore';
import { Instruction, parseDockerfile, parseKeyValues, splitWords } from './dockerfile-parser';
import { entriesFromUpper, LayerBlob, TarEntry, writeLayer } from './layer-writer';
import { withRootfsView } from './rootfs-view';
import { applyLayer } from '../unpack';
import { cacheKey, cloneStage, durationNs, envRecord, ociLayerType, setEnv, Stage, stageVars } from './stage';
import { substitute } from './substitute';

/** Runs one RUN step in a container over `rootfs` to completion. Injected: the native runtime. */
export type RunStep = (
  rootfs: RootfsDirs,
  proc: { args: string[]; env: string[]; cwd: string; user: string; network: boolean },
) => Promise<{ exitCode: number; output: string }>;

export interface BuildOptions {
  /** Build context directory. */
  context: string;
  /** Dockerfile path (relative to the context or absolute); default <context>/Dockerfile. */
  dockerfile?: string;
  buildArgs?: Record<string, string>;
  /** Stop after this stage. */
  target?: string;
  /** Labels added to the final image (Compose build.labels). */
  labels?: Record<string, string>;
  tags?: string[];
  noCache?: boolean;
  run?: RunStep;
  onStep?: (line: string) => void;
}

export interface BuildResult {
  digest: string;
  references: string[];
  config: ImageConfig;
  layers: Descriptor[];
  /** Layer steps answered from the cache / run for real. */
  cacheHits: number;
  layerSteps: number;
}

const DEFAULT_SHELL = ['/bin/sh', '-c'];

export class Builder {
  private readonly cache: BuildCache;
  private readonly file: string;
  private readonly scratch: string;
  private ignore?: DockerIgnore;
  private stages: Stage[] = [];
  private globalArgs: Record<string, string> = {};
  private cacheHits = 0;
  private layerSteps = 0;
  private escape = '\\';
  private lease?: Lease;

  constructor(
    private readonly store: ImageStore,
    private readonly opts: BuildOptions,
  ) {
    this.cache = new BuildCache(store.blobs);
    const df = opts.dockerfile ?? 'Dockerfile';
    this.file = path.isAbsolute(df) ? df : path.join(opts.context, df);
    this.scratch = path.join(store.root, 'builds', randomBytes(6).toString('hex'));
  }

  async build(): Promise<BuildResult> {
    if (!fs.existsSync(this.file)) throw new BuildError(`no Dockerfile at ${this.file}; pass -f`);
    const ignoreFile = path.join(this.opts.context, '.dockerignore');
    this.ignore = new DockerIgnore(fs.existsSync(ignoreFile) ? fs.readFileSync(ignoreFile, 'utf8') : '');
    const df = parseDockerfile(fs.readFileSync(this.file, 'utf8'), path.basename(this.file));
    this.escape = df.escape;
    fs.mkdirSync(this.scratch, { recursive: true });
    this.lease = this.store.leases.create();
    try {
      let stage: Stage | undefined;
      for (const ins of df.instructions) {
        if (ins.cmd === 'FROM') {
          if (stage && stage.name !== undefined && stage.name === this.opts.target) break;
          stage = await this.from(ins);
          this.stages.push(stage);
          continue;
        }
        if (!stage) {
          this.globalArg(ins);
          continue;
        }
        this.opts.onStep?.(`[${stage.name ?? stage.index}] ${ins.original}`);
        try {
          await this.step(stage, ins);
        } catch (e) {
          if (e instanceof BuildError && e.file) throw e;
          throw new BuildError(`${ins.cmd}: ${(e as Error).message}`, path.basename(this.file), ins.line);
        }
      }
      if (this.opts.target && !this.stages.some((s) => s.name === this.opts.target))
        throw new BuildError(`target stage "${this.opts.target}" not found in ${this.file}`);
      const last = this.opts.target ? this.stages.find((s) => s.name === this.opts.target) : stage;
      return await this.commit(last as Stage);
    } finally {
      this.lease.release();
      fs.rmSync(this.scratch, { recursive: true, force: true });
    }
  }

  // ---- stages ------------------------------------------------------------------------------------------
  private globalArg(ins: Instruction): void {
    for (const w of splitWords(ins.rest, this.escape)) {
      const [name, ...v] = w.split('=');
      const def = v.length ? substitute(v.join('='), this.globalArgs, this.escape) : undefined;
      const value = this.opts.buildArgs?.[name] ?? def;
      if (value !== undefined) this.globalArgs[name] = value;
    }
  }

  private async from(ins: Instruction): Promise<Stage> {
    const words = splitWords(substitute(ins.rest, this.globalArgs, this.escape), this.escape);
    const name = words.length === 3 && words[1].toUpperCase() === 'AS' ? words[2].toLowerCase() : undefined;
    if (words.length !== 1 && !name)
      throw new BuildError(
        `FROM wants "image [AS name]", got "${ins.rest}"`,
        path.basename(this.file),
        ins.line,
      );
    const base = words[0];
    const index = this.stages.length;
    const prior = this.findStage(base.toLowerCase());
    if (prior) return { ...cloneStage(prior, index, name), key: cacheKey(prior.key, 'FROM stage') };
    if (base === 'scratch')
      return {
        index,
        name,
        config: {},
        layers: [],
        diffIds: [],
        history: [],
        architecture: hostArch(),
        os: 'linux',
        key: cacheKey('scratch'),
        args: {},
        cmdSet: false,
      };
    const img = (await this.store.get(base)) ?? (await this.store.pull(base));
    const manifest = JSON.parse(this.store.blobs.read(img.digest).toString()) as OciManifest;
    this.lease?.add([img.digest, manifest.config.digest, ...manifest.layers.map((l) => l.digest)]);
    const cfg = JSON.parse(this.store.blobs.read(manifest.config.digest).toString()) as {
      config?: ImageConfig;
      rootfs?: { diff_ids?: string[] };
      history?: Stage['history'];
      architecture?: string;
      os?: string;
    };
    return {
      index,
      name,
      config: cfg.config ?? {},
      layers: manifest.layers.map((l) => ({ ...l, mediaType: ociLayerType(l.mediaType) })),
      diffIds: cfg.rootfs?.diff_ids ?? manifest.layers.map((l) => l.digest),
      history: cfg.history ?? [],
      architecture: cfg.architecture ?? hostArch(),
      os: cfg.os ?? 'linux',
      key: cacheKey('image', img.digest),
      args: {},
      cmdSet: false,
    };
  }

  private findStage(ref: string): Stage | undefined {
    if (/^\d+$/.test(ref)) return this.stages[Number(ref)];
    return this.stages.find((s) => s.name === ref);
  }

  /** Snapshot dirs of a stage's layers, top-most first (unpacked on demand, shared with the store). */
  private async lowers(s: Stage): Promise<string[]> {
    if (s.layers.length === 0) return [this.store.snapshots.empty()];
    const layers: LayerToUnpack[] = s.layers.map((l, i) => ({
      digest: l.digest,
      diffId: s.diffIds[i],
      blobPath: this.store.blobs.path(l.digest),
      verify: s.diffIds[i] !== l.digest,
    }));
    this.lease?.add([], chainIds(s.diffIds));
    return (await this.store.snapshots.ensure(layers)).reverse();
  }

  private async view<T>(s: Stage, fn: (dir: string | undefined) => Promise<T> | T): Promise<T> {
    if (s.layers.length === 0) return fn(undefined);
    return withRootfsView(this.scratch, await this.lowers(s), fn);
  }

  // ---- instructions ------------------------------------------------------------------------------------
  private async step(s: Stage, ins: Instruction): Promise<void> {
    const vars = stageVars(s);
    const sub = (x: string): string => substitute(x, vars, this.escape);
    const c = s.config;
    switch (ins.cmd) {
      case 'ARG':
        for (const w of splitWords(ins.rest, this.escape)) {
          const [name, ...v] = w.split('=');
          const value = this.opts.buildArgs?.[name] ?? (v.length ? sub(v.join('=')) : this.globalArgs[name]);
          if (value !== undefined) s.args[name] = value;
        }
        return this.configStep(s, ins, JSON.stringify(s.args));
      case 'ENV':
        for (const [k, v] of parseKeyValues(ins.rest, this.escape, true)) c.Env = setEnv(c.Env, k, sub(v));
        return this.configStep(s, ins);
      case 'LABEL':
        for (const [k, v] of parseKeyValues(ins.rest, this.escape, false))
          c.Labels = { ...c.Labels, [sub(k)]: sub(v) };
        return this.configStep(s, ins);
      case 'EXPOSE':
        for (const w of splitWords(sub(ins.rest), this.escape)) {
          const [port, proto] = w.split('/');
          c.ExposedPorts = { ...c.ExposedPorts, [`${port}/${(proto ?? 'tcp').toLowerCase()}`]: {} };
        }
        return this.configStep(s, ins);
      case 'USER':
        c.User = sub(ins.rest.trim());
        return this.configStep(s, ins);
      case 'STOPSIGNAL':
        c.StopSignal = sub(ins.rest.trim());
        return this.configStep(s, ins);
      case 'SHELL':
        if (!ins.json?.length) throw new Error('SHELL wants the JSON form, e.g. SHELL ["/bin/bash", "-c"]');
        c.Shell = ins.json;
        return this.configStep(s, ins);
      case 'VOLUME':
        for (const v of ins.json ?? splitWords(sub(ins.rest), this.escape))
          c.Volumes = { ...c.Volumes, [v]: {} };
        return this.configStep(s, ins);
      case 'MAINTAINER':
        s.author = ins.rest.trim();
        return this.configStep(s, ins);
      case 'ONBUILD':
        c.OnBuild = [...(c.OnBuild ?? []), ins.rest.trim()];
        return this.configStep(s, ins);
      case 'CMD':
        c.Cmd = this.commandForm(s, ins);
        s.cmdSet = true;
        return this.configStep(s, ins);
      case 'ENTRYPOINT':
        c.Entrypoint = this.commandForm(s, ins);
        if (!s.cmdSet) c.Cmd = null;
        return this.configStep(s, ins);
      case 'HEALTHCHECK':
        c.Healthcheck = this.healthcheck(s, ins);
        return this.configStep(s, ins);
      case 'WORKDIR':
        return this.workdir(s, ins, sub(ins.rest.trim()));
      case 'COPY':
      case 'ADD':
        return this.copy(s, ins, sub);
      case 'RUN':
        return this.run(s, ins);
      default:
        throw new Error(`${ins.cmd} is not supported`);
    }
  }

  private configStep(s: Stage, ins: Instruction, extra = ''): void {
    s.key = cacheKey(s.key, ins.original, JSON.stringify(s.config), extra);
    s.history.push({ created: new Date().toISOString(), created_by: ins.original, empty_layer: true });
  }

  private commandForm(s: Stage, ins: Instruction): string[] {
    if (ins.json) return ins.json;
    return [...(s.config.Shell ?? DEFAULT_SHELL), ins.rest];
  }

  private healthcheck(s: Stage, ins: Instruction): ImageConfig['Healthcheck'] {
    const rest = ins.rest.trim();
    if (/^NONE$/i.test(rest)) return { Test: ['NONE'] };
    const m = /^CMD\s+([\s\S]+)$/i.exec(rest);
    if (!m) throw new Error('HEALTHCHECK wants NONE or [--interval=..] CMD command');
    const json = ins.json ?? (m[1].trim().startsWith('[') ? (JSON.parse(m[1]) as string[]) : undefined);
    const hc: NonNullable<ImageConfig['Healthcheck']> = {
      Test: json ? ['CMD', ...json] : ['CMD-SHELL', m[1].trim()],
    };
    const f = ins.flags;
    if (f.interval) hc.Interval = durationNs(f.interval);
    if (f.timeout) hc.Timeout = durationNs(f.timeout);
    if (f['start-period']) hc.StartPeriod = durationNs(f['start-period']);
    if (f.retries) hc.Retries = Number(f.retries);
    void s;
    return hc;
  }

  private async addLayer(
    s: Stage,
    ins: Instruction,
    key: string,
    make: () => Promise<LayerBlob>,
  ): Promise<void> {
    this.layerSteps++;
    let layer = this.opts.noCache ? undefined : this.cache.get(key);
    if (layer) {
      this.cacheHits++;
      this.opts.onStep?.('  cached');
    } else {
      layer = await make();
      await this.cache.put(key, layer);
    }
    this.lease?.add([layer.digest]);
    s.layers.push({ mediaType: MT.ociLayerGzip, digest: layer.digest, size: layer.size });
    s.diffIds.push(layer.diffId);
    s.history.push({ created: new Date().toISOString(), created_by: ins.original });
    s.key = key;
  }

  private async workdir(s: Stage, ins: Instruction, dir: string): Promise<void> {
    const abs = path.posix.resolve(s.config.WorkingDir || '/', dir);
    s.config.WorkingDir = abs;
    const missing = await this.view(s, (v) => {
      const out: string[] = [];
      for (let d = abs; d !== '/'; d = path.posix.dirname(d))
        if (!v || !fs.existsSync(path.join(v, d))) out.unshift(d.slice(1));
      return out;
    });
    if (missing.length === 0) return this.configStep(s, ins);
    const entries: TarEntry[] = missing.map((name) => ({
      name,
      type: 'directory',
      mode: 0o755,
      uid: 0,
      gid: 0,
      mtime: new Date(0),
    }));
    await this.addLayer(s, ins, cacheKey(s.key, ins.original, abs), () =>
      writeLayer(this.store.blobs, entries),
    );
  }

  private async copy(s: Stage, ins: Instruction, sub: (x: string) => string): Promise<void> {
    const words = (ins.json ?? splitWords(ins.rest, this.escape)).map(sub);
    if (words.length < 2) throw new Error(`${ins.cmd} wants at least one source and a destination`);
    const destRaw = words[words.length - 1];
    const dest = path.posix.resolve(s.config.WorkingDir || '/', destRaw);
    const patterns = words.slice(0, -1);
    const from = ins.flags.from ? sub(ins.flags.from) : undefined;
    const chmod = ins.flags.chmod ? parseInt(ins.flags.chmod, 8) : undefined;
    const doCopy = async (srcRoot: string, fromContext: boolean): Promise<void> => {
      const tmp = fs.mkdtempSync(path.join(this.scratch, 'add-'));
      const sources: CopySource[] = [];
      let globbed = false;
      for (const p of patterns) {
        if (ins.cmd === 'ADD' && /^https?:\/\//.test(p)) {
          sources.push({ hostPath: await download(p, tmp, destRaw), keepOwner: false });
          continue;
        }
        if (/[*?[]/.test(p)) globbed = true;
        const rels = expandSource(srcRoot, p).filter((r) => !fromContext || !this.ignore?.ignores(r));
        if (rels.length === 0)
          throw new Error(`source ${p} not found${fromContext ? ' in the build context' : ''}`);
        for (const rel of rels) {
          const hostPath = path.join(srcRoot, rel);
          if (ins.cmd === 'ADD' && isArchive(hostPath)) {
            const into = fs.mkdtempSync(path.join(tmp, 'x-'));
            await applyLayer(into, hostPath);
            sources.push({ hostPath: into, keepOwner: true });
          } else
            sources.push({ hostPath, ignoreRel: fromContext ? rel : undefined, keepOwner: !fromContext });
        }
      }
      const destIsDir = destRaw.endsWith('/') || sources.length > 1 || globbed;
      await this.view(s, async (view) => {
        const chown = ins.flags.chown ? resolveOwner(sub(ins.flags.chown), view) : undefined;
        const { entries, hash } = copyEntries(sources, {
          dest,
          destIsDir,
          chown,
          chmod,
          ignore: fromContext ? this.ignore : undefined,
          view,
        });
        const key = cacheKey(s.key, ins.original, dest, hash);
        await this.addLayer(s, ins, key, () => writeLayer(this.store.blobs, entries));
      });
    };
    if (!from) return doCopy(this.opts.context, true);
    const stage = this.findStage(from.toLowerCase());
    if (stage) return this.view(stage, (v) => doCopy(v ?? this.store.snapshots.empty(), false));
    const img = (await this.store.get(from)) ?? (await this.store.pull(from));
    this.lease?.add([img.digest, ...img.layers.map((l) => l.digest)], this.store.snapshotIds(img.digest));
    const lowers = await this.store.unpack(img.digest);
    return withRootfsView(this.scratch, lowers, (v) => doCopy(v, false));
  }

  private async run(s: Stage, ins: Instruction): Promise<void> {
    if (!this.opts.run)
      throw new BuildError(
        'RUN needs the native runtime (libs/runtime) to run the step in a container; it is not available in this build of tsstack. Build images without RUN (COPY/ADD prebuilt files) until it is',
        path.basename(this.file),
        ins.line,
        'IMAGE_BUILD_NO_RUNTIME',
      );
    const args = ins.json ?? [...(s.config.Shell ?? DEFAULT_SHELL), ins.rest];
    const env = Object.entries({ ...s.args, ...envRecord(s.config.Env) }).map(([k, v]) => `${k}=${v}`);
    if (!env.some((e) => e.startsWith('PATH=')))
      env.push('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    const proc = {
      args,
      env,
      cwd: s.config.WorkingDir || '/',
      user: s.config.User || 'root',
      network: ins.flags.network === 'host' || ins.flags.network === 'default',
    };
    const key = cacheKey(s.key, ins.original, JSON.stringify(proc));
    const run = this.opts.run;
    await this.addLayer(s, ins, key, async () => {
      const dir = fs.mkdtempSync(path.join(this.scratch, 'run-'));
      const rootfs = {
        lowerDirs: await this.lowers(s),
        upperDir: path.join(dir, 'upper'),
        workDir: path.join(dir, 'work'),
      };
      fs.mkdirSync(rootfs.upperDir);
      fs.mkdirSync(rootfs.workDir);
      const r = await run(rootfs, proc);
      if (r.exitCode !== 0)
        throw new BuildError(
          `RUN ${args.join(' ')} exited with ${r.exitCode}: ${r.output.trim().split('\n').slice(-10).join('\n')}`,
          path.basename(this.file),
          ins.line,
        );
      return writeLayer(this.store.blobs, entriesFromUpper(rootfs.upperDir));
    });
  }

  // ---- result ------------------------------------------------------------------------------------------
  private async commit(s: Stage): Promise<BuildResult> {
    if (this.opts.labels) s.config.Labels = { ...s.config.Labels, ...this.opts.labels };
    const config = {
      created: new Date().toISOString(),
      ...(s.author ? { author: s.author } : {}),
      architecture: s.architecture,
      os: s.os,
      config: s.config,
      rootfs: { type: 'layers', diff_ids: s.diffIds },
      history: s.history,
    };
    const cfgBuf = Buffer.from(JSON.stringify(config));
    const manifest: OciManifest = {
      schemaVersion: 2,
      mediaType: MT.ociManifest,
      config: { mediaType: MT.ociConfig, digest: this.store.blobs.writeBuffer(cfgBuf), size: cfgBuf.length },
      layers: s.layers,
    };
    const digest = this.store.blobs.writeBuffer(Buffer.from(JSON.stringify(manifest)));
    const references: string[] = [];
    for (const t of this.opts.tags ?? []) {
      const canonical = parseReference(t).canonical;
      await this.store.tag(canonical, digest);
      references.push(canonical);
    }
    return {
      digest,
      references,
      config: s.config,
      layers: s.layers,
      cacheHits: this.cacheHits,
      layerSteps: this.layerSteps,
    };
  }
}

function hostArch(): string {
  return ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch] ?? process.arch;
}

/** Builds an image from a Dockerfile into `store`; see BuildOptions. */
export function buildImage(store: ImageStore, opts: BuildOptions): Promise<BuildResult> {
  return new Builder(store, opts).build();
}
