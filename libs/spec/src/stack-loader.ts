// libs/spec: loadStack — Compose files in, one validated StackSpec out, as `docker compose config` reads them:
// default file names, .env beside the first file (or --env-file), the shell environment winning over it,
// per-file interpolation, relative paths, include and extends, merge of every -f file with !reset/!override,
// project name rules, profiles (--profile, COMPOSE_PROFILES). Every problem found is thrown at once as a
// SpecError whose issues are located (file:line:col, field path, the line with a caret).
import * as path from 'node:path';
import { SpecError, type StackSpec } from '@tsstack/model';
import { parseDotenv } from './dotenv-parser';
import { resolveExtends } from './extends-resolver';
import { FileTooLarge, nodeFiles, type SpecFiles } from './file-reader';
import { IssueList } from './issue-list';
import { mergeFiles, stripMarkers } from './merge-rules';
import {
  copyLoc,
  getLoc,
  isPlainObject,
  locate,
  pathText,
  type PathSeg,
  type Tree,
} from './source-locations';
import { dnsLabel, normalizeStack } from './stack-normalizer';
import { absPath, interpolateSlots, interpolateTree, resolvePaths } from './tree-passes';
import { Checker } from './value-schemas';
import { loadYamlFast, type TemplateSlot } from './fast-yaml-loader';
import { loadYaml } from './yaml-loader';
import { DNS_LABEL } from './service-parts';

export interface LoadStackOptions {
  files?: string[];
  projectName?: string;
  profiles?: string[];
  envFiles?: string[];
  cwd?: string;
  env?: Record<string, string>;
}

/** What `tsstack config` needs beyond the stack: every profile named in the files, the files read. */
export interface LoadedProject {
  stack: StackSpec;
  /** Every profile any service names, enabled or not, sorted. */
  profiles: string[];
  files: string[];
  projectDir: string;
}

export const MAX_COMPOSE_FILE_BYTES = 10 * 1024 * 1024;
export const MAX_SIDE_FILE_BYTES = 1024 * 1024;
export const DEFAULT_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];
const OVERRIDE_FILES = [
  'compose.override.yaml',
  'compose.override.yml',
  'docker-compose.override.yaml',
  'docker-compose.override.yml',
];
const CLI = '<command line>';

/** Loads, interpolates, merges, validates and normalizes Compose files. Throws SpecError (code SPEC_INVALID). */
export async function loadStack(opts: LoadStackOptions = {}): Promise<StackSpec> {
  return (await loadProject(opts)).stack;
}

export async function loadProject(
  opts: LoadStackOptions = {},
  files: SpecFiles = nodeFiles,
): Promise<LoadedProject> {
  const fast = new ProjectLoader(opts, files, 'fast');
  try {
    return fast.load();
  } catch (err) {
    // The fast path keeps no locations: find every problem again with the located loader, which reports
    // them with file:line:col (and is the one that decides, should the two ever disagree).
    if (!(err instanceof SpecError) || !fast.usedFastPath) throw err;
    return new ProjectLoader(opts, files, 'located').load();
  }
}

/**
 * `fast`: YAML through the js-yaml event parser without locations (loadYamlFast), for files it is sure of;
 * `located`: every file through the `yaml` library with every value's location (loadYaml).
 */
type YamlMode = 'fast' | 'located';

class ProjectLoader {
  private readonly issues = new IssueList();
  private readonly cwd: string;
  private readonly shellEnv: Record<string, string>;
  private readonly otherFiles = new Map<string, Tree | undefined>();
  private vars: Record<string, string> = {};
  /** Whether any file used !reset or !override (else the strip pass is skipped). */
  private markers = false;
  /** Whether any file was loaded without locations (then a SpecError must be found again, located). */
  usedFastPath = false;

  constructor(
    private readonly opts: LoadStackOptions,
    private readonly fs: SpecFiles,
    private readonly yamlMode: YamlMode,
  ) {
    this.cwd = opts.cwd ?? process.cwd();
    this.shellEnv = opts.env ?? stringEnv(process.env);
  }

  load(): LoadedProject {
    const files = this.composeFiles();
    this.issues.throwIfAny();
    const projectDir = path.dirname(files[0]!);
    this.vars = this.projectVariables(projectDir);
    this.issues.throwIfAny();
    const lookup = this.lookup(this.vars);
    let merged: Tree | undefined;
    for (const file of files) {
      const tree = this.loadFile(file, projectDir, lookup, [file]);
      if (tree) merged = merged ? mergeFiles(merged, tree) : tree;
    }
    this.issues.throwIfAny();
    const root = (this.markers ? stripMarkers(merged ?? {}) : (merged ?? {})) as Tree;
    const projectName = this.projectName(root, projectDir, files[0]!);
    const profiles = [...(this.opts.profiles ?? []), ...(lookup('COMPOSE_PROFILES') ?? '').split(',')]
      .map((p) => p.trim())
      .filter(Boolean);
    const c = new Checker(root, this.issues, files[0]!);
    const stack = normalizeStack(
      c,
      {
        projectName,
        projectDir,
        profiles,
        lookup,
        readEnvFile: (p, required, format, at) => this.readEnvFile(root, p, required, format, at, lookup),
        readFile: (p, at) => this.readSideFile(root, p, at),
      },
      root,
    );
    const noServices =
      root.services === undefined ||
      root.services === null ||
      (isPlainObject(root.services) && !Object.keys(root.services).length);
    if (noServices && !this.issues.size) {
      this.issues.add(root, ['services'], 'the stack defines no service', files[0]!);
    }
    this.issues.throwIfAny();
    const allProfiles = new Set<string>();
    for (const s of Object.values(isPlainObject(root.services) ? root.services : {})) {
      if (isPlainObject(s) && Array.isArray(s.profiles))
        s.profiles.forEach((p) => typeof p === 'string' && allProfiles.add(p));
    }
    return { stack, profiles: [...allProfiles].sort(), files, projectDir };
  }

  /** -f files (relative to cwd), else COMPOSE_FILE, else the default file of cwd plus its override file. */
  private composeFiles(): string[] {
    const fromEnv = this.shellEnv.COMPOSE_FILE?.split(path.delimiter).filter(Boolean);
    const given = this.opts.files?.length ? this.opts.files : fromEnv;
    if (given?.length) {
      return given.map((f) => {
        const abs = path.resolve(this.cwd, f);
        if (!this.fs.isFile(abs)) this.issues.addAt({ file: CLI }, '', `-f ${f}: no such file (${abs})`);
        return abs;
      });
    }
    const found = DEFAULT_FILES.map((f) => path.join(this.cwd, f)).find((f) => this.fs.isFile(f));
    if (!found) {
      this.issues.addAt(
        { file: this.cwd },
        '',
        `no Compose file here: create ${DEFAULT_FILES[0]} or pass -f FILE (looked for ${DEFAULT_FILES.join(', ')})`,
      );
      return [];
    }
    const override = OVERRIDE_FILES.map((f) => path.join(this.cwd, f)).find((f) => this.fs.isFile(f));
    return override ? [found, override] : [found];
  }

  /** Variables for interpolation: --env-file files (or .env in the project dir), the shell winning. */
  private projectVariables(projectDir: string, envFiles = this.opts.envFiles): Record<string, string> {
    const list = envFiles?.length
      ? envFiles.map((f) => path.resolve(this.cwd, f))
      : [path.join(projectDir, '.env')];
    const vars: Record<string, string> = {};
    for (const f of list) {
      const text = this.readText(f, MAX_SIDE_FILE_BYTES, { file: CLI });
      if (text === undefined) {
        if (envFiles?.length) this.issues.addAt({ file: CLI }, '', `--env-file ${f}: no such file`);
        continue;
      }
      this.issues.addSource(f, text);
      const r = parseDotenv(text, (n) => this.shellEnv[n] ?? vars[n]);
      for (const i of r.issues) this.issues.addAt({ file: f, line: i.line, col: i.col }, '', i.message);
      Object.assign(vars, r.values);
    }
    return vars;
  }

  private lookup(vars: Record<string, string>): (name: string) => string | undefined {
    return (name) =>
      Object.prototype.hasOwnProperty.call(this.shellEnv, name)
        ? this.shellEnv[name]
        : Object.prototype.hasOwnProperty.call(vars, name)
          ? vars[name]
          : undefined;
  }

  /** One file: YAML, interpolation, relative paths against `base`, include, extends. */
  private loadFile(
    file: string,
    base: string,
    lookup: (n: string) => string | undefined,
    stack: string[],
  ): Tree | undefined {
    const text = this.readText(file, MAX_COMPOSE_FILE_BYTES, { file });
    // A missing file is reported by the caller, at the -f, include or extends that named it.
    if (text === undefined) return undefined;
    if (text.includes('!reset') || text.includes('!override')) this.markers = true;
    const parsed = this.parseYaml(file, text);
    if (!parsed) return undefined;
    const { tree, templates } = parsed;
    if (templates) interpolateSlots(templates, lookup, this.issues, file);
    else interpolateTree(tree, lookup, this.issues, file);
    resolvePaths(tree, base, this.shellEnv.HOME);
    const withIncludes = this.applyIncludes(tree, file, base, stack);
    resolveExtends(
      withIncludes,
      file,
      (other) => this.loadOther(other, lookup, [...stack, other]),
      this.issues,
    );
    return withIncludes;
  }

  /** The file's tree; from the fast path with the places of its `$` strings, else located. */
  private parseYaml(file: string, text: string): { tree: Tree; templates?: TemplateSlot[] } | undefined {
    if (this.yamlMode === 'fast') {
      const fast = loadYamlFast(text);
      if (fast) {
        this.usedFastPath = true;
        return fast;
      }
    }
    const tree = loadYaml(file, text, this.issues);
    return tree && { tree };
  }

  private loadOther(
    file: string,
    lookup: (n: string) => string | undefined,
    stack: string[],
  ): Tree | undefined {
    if (!this.otherFiles.has(file))
      this.otherFiles.set(file, this.loadFile(file, path.dirname(file), lookup, stack));
    return this.otherFiles.get(file);
  }

  /** `include:` — each entry is its own small project (own dir, own .env); its resources may not clash. */
  private applyIncludes(tree: Tree, file: string, base: string, stack: string[]): Tree {
    if (tree.include === undefined || tree.include === null) return tree;
    const inc = tree.include;
    delete tree.include;
    if (!Array.isArray(inc)) {
      this.issues.addAt(
        locate(tree, []) ?? { file },
        'include',
        'include takes a list of paths or {path, env_file, project_directory}',
      );
      return tree;
    }
    let out = tree;
    inc.forEach((entry, i) => {
      const at = (msg: string): void =>
        this.issues.addAt(getLoc(inc, i) ?? { file }, pathText(['include', i]), msg);
      const e = typeof entry === 'string' ? { path: entry } : entry;
      if (!isPlainObject(e)) return at('expected a path or {path, env_file, project_directory}');
      for (const k of Object.keys(e))
        if (!['path', 'env_file', 'project_directory'].includes(k))
          return at(`unknown field "${k}" in include`);
      const paths = (Array.isArray(e.path) ? e.path : [e.path]).filter(
        (p): p is string => typeof p === 'string',
      );
      if (!paths.length) return at('include needs path:');
      const absFiles = paths.map((p) => absPath(p, base, this.shellEnv.HOME));
      const missing = absFiles.find((f) => !this.fs.isFile(f));
      if (missing) return at(`included file ${missing} not found`);
      const loop = absFiles.find((f) => stack.includes(f));
      if (loop) return at(`include cycle: ${[...stack, loop].map((f) => path.basename(f)).join(' -> ')}`);
      const dir =
        typeof e.project_directory === 'string'
          ? absPath(e.project_directory, base, this.shellEnv.HOME)
          : path.dirname(absFiles[0]!);
      const envFiles =
        e.env_file === undefined
          ? undefined
          : (Array.isArray(e.env_file) ? e.env_file : [e.env_file]).map((f) =>
              absPath(String(f), base, this.shellEnv.HOME),
            );
      const incLookup = this.lookup(this.projectVariables(dir, envFiles));
      let merged: Tree | undefined;
      for (const f of absFiles) {
        const t = this.loadFile(f, dir, incLookup, [...stack, f]);
        if (t) merged = merged ? mergeFiles(merged, t) : t;
      }
      if (merged) out = this.addIncluded(out, merged, file, i);
    });
    return out;
  }

  private addIncluded(into: Tree, inc: Tree, file: string, index: number): Tree {
    for (const section of ['services', 'networks', 'volumes', 'configs', 'secrets']) {
      const src = inc[section];
      if (!isPlainObject(src)) continue;
      if (!isPlainObject(into[section])) {
        into[section] = {};
        copyLoc(into, section, inc, section);
      }
      const dst = into[section] as Tree;
      for (const k of Object.keys(src)) {
        if (Object.prototype.hasOwnProperty.call(dst, k)) {
          this.issues.add(
            into,
            [section, k],
            `${section}.${k} is defined both here and in included file (include[${index}]); rename one`,
            file,
          );
          continue;
        }
        dst[k] = src[k];
        copyLoc(dst, k, src, k);
      }
    }
    return into;
  }

  private projectName(root: Tree, projectDir: string, firstFile: string): string {
    const explicit = this.opts.projectName ?? this.lookup(this.vars)('COMPOSE_PROJECT_NAME');
    const fromFile = typeof root.name === 'string' && root.name ? root.name : undefined;
    const given = explicit || fromFile;
    if (given !== undefined) {
      if (!DNS_LABEL.test(given)) {
        const where: PathSeg[] = ['name'];
        const msg = `project name "${given}" must be a DNS label (lowercase letters, digits and "-", at most 63), e.g. "${dnsLabel(given) || 'stack'}"`;
        if (explicit) this.issues.addAt({ file: CLI }, '-p', msg);
        else this.issues.add(root, where, msg, firstFile);
      }
      return given;
    }
    const fromDir = dnsLabel(path.basename(projectDir));
    if (!fromDir)
      this.issues.addAt(
        { file: CLI },
        '-p',
        `cannot make a project name from directory "${projectDir}": pass -p NAME or set name: in the file`,
      );
    return fromDir || 'stack';
  }

  private readEnvFile(
    root: Tree,
    p: string,
    required: boolean,
    format: 'env' | 'raw',
    at: PathSeg[],
    lookup: (n: string) => string | undefined,
  ): Record<string, string> | undefined {
    const text = this.readText(p, MAX_SIDE_FILE_BYTES, locate(root, at) ?? { file: p });
    if (text === undefined) {
      if (required)
        this.issues.add(root, at, `env file ${p} not found (set required: false to make it optional)`, p);
      return undefined;
    }
    this.issues.addSource(p, text);
    const r = parseDotenv(text, lookup, format);
    for (const i of r.issues) this.issues.addAt({ file: p, line: i.line, col: i.col }, '', i.message);
    return r.values;
  }

  private readSideFile(root: Tree, p: string, at: PathSeg[]): Uint8Array | undefined {
    try {
      const bytes = this.fs.read(p, MAX_SIDE_FILE_BYTES);
      if (!bytes) this.issues.add(root, at, `file ${p} not found`, p);
      return bytes;
    } catch (err) {
      this.issues.add(root, at, readError(p, err), p);
      return undefined;
    }
  }

  private readText(p: string, max: number, where: { file: string }): string | undefined {
    try {
      const bytes = this.fs.read(p, max);
      return bytes === undefined ? undefined : Buffer.from(bytes).toString('utf8');
    } catch (err) {
      this.issues.addAt(where, '', readError(p, err));
      return undefined;
    }
  }
}

function readError(p: string, err: unknown): string {
  if (err instanceof FileTooLarge)
    return `${p} is ${err.size} bytes, above tsstack's limit of ${err.maxBytes}: refusing to read it`;
  return `cannot read ${p}: ${(err as Error).message}`;
}

function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}
