// libs/spec: one Compose YAML text -> a plain JS tree with the source location of every value.
// YAML as Docker Compose reads it (go-yaml v3): YAML 1.2 core scalars (`yes`/`on` stay strings, `80:80` is a
// string), but octal-looking `0755` is octal; merge keys `<<`; `!reset`/`!override` tags kept as markers;
// duplicate keys refused; alias expansion bounded (a billion-laughs file fails fast in bounded memory).
// Values of string maps (environment, labels, ...) keep their source text: `X: 0755` is "0755", not "493".
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { IssueList } from './issue-list';
import {
  defineChild,
  getLoc,
  isPlainObject,
  OverrideMarker,
  ResetMarker,
  setKeyLoc,
  setLoc,
  type PathSeg,
  type SourceLoc,
  type Tree,
} from './source-locations';

/** Nodes an alias may expand to, in total, per file. */
export const MAX_ALIAS_EXPANSION = 100_000;
/** Nesting depth of any YAML file. */
export const MAX_DEPTH = 200;

const SERVICE_STRING_MAPS = new Set(['environment', 'labels', 'annotations', 'sysctls', 'extra_hosts']);
const SERVICE_NESTED_STRING_MAPS = new Set([
  'build.args',
  'build.labels',
  'deploy.labels',
  'logging.options',
]);
const TOP_STRING_MAPS = new Set(['networks', 'volumes', 'configs', 'secrets']);

/** True where a scalar is a string whatever it looks like (a map of strings keyed by the last segment). */
export function keepsSourceText(path: readonly PathSeg[]): boolean {
  if (path[0] === 'services') {
    if (path.length === 4) return SERVICE_STRING_MAPS.has(path[2] as string);
    if (path.length === 5) return SERVICE_NESTED_STRING_MAPS.has(`${String(path[2])}.${String(path[3])}`);
    return false;
  }
  return (
    path.length === 4 &&
    TOP_STRING_MAPS.has(path[0] as string) &&
    (path[2] === 'labels' || path[2] === 'driver_opts')
  );
}

class LoadAbort extends Error {}

/** A location whose line and column are computed only when read (most are never read). */
class OffsetLoc implements SourceLoc {
  private pos: { line: number; col: number } | undefined;
  constructor(
    readonly file: string,
    private readonly lc: LineCounter,
    private readonly offset: number,
  ) {}
  get line(): number {
    return (this.pos ??= this.lc.linePos(this.offset)).line;
  }
  get col(): number {
    return (this.pos ??= this.lc.linePos(this.offset)).col;
  }
}

/** Parses one file's text. Returns undefined (issues added) when the text is not a usable mapping. */
export function loadYaml(file: string, text: string, issues: IssueList): Tree | undefined {
  issues.addSource(file, text);
  const lc = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lc,
    uniqueKeys: false,
    prettyErrors: false,
    version: '1.2',
  });
  const at = (offset: number): SourceLoc => new OffsetLoc(file, lc, offset);
  const before = issues.size;
  for (const e of doc.errors) issues.addAt(at(e.pos[0]), '', yamlMessage(e.code, e.message));
  for (const w of doc.warnings) {
    if (w.code === 'TAG_RESOLVE_FAILED' && /!(reset|override)\b/.test(w.message)) continue;
    const tag = w.code === 'TAG_RESOLVE_FAILED' ? /Unresolved tag: (\S+)/.exec(w.message)?.[1] : undefined;
    issues.addAt(
      at(w.pos[0]),
      '',
      tag ? `unknown tag ${tag} (Compose knows !reset and !override)` : w.message,
    );
  }
  if (issues.size > before) return undefined;
  if (doc.contents === null) return {};
  const conv = new Converter(file, at, issues);
  let tree: unknown;
  try {
    tree = conv.convert(doc.contents as Node, 0, false);
  } catch (err) {
    if (err instanceof LoadAbort) return undefined;
    throw err;
  }
  if (conv.failed) return undefined;
  if (!isPlainObject(tree)) {
    issues.addAt(
      at(doc.contents.range?.[0] ?? 0),
      '',
      'a Compose file must be a mapping (services:, networks:, ...)',
    );
    return undefined;
  }
  return tree;
}

function yamlMessage(code: string, message: string): string {
  if (code === 'DUPLICATE_KEY') return 'duplicate key: each key may appear once in a mapping';
  return `invalid YAML: ${message}`;
}

class Converter {
  failed = false;
  private expanded = 0;
  private readonly active = new Set<Node>();
  /** Field path of the node being converted (pushed and popped, never copied). */
  private readonly path: PathSeg[] = [];
  /** Anchors seen so far in document order: an alias refers to the last one of its name before it.
   * (Alias.resolve would walk the whole document on every call.) */
  private readonly anchors = new Map<string, Node>();

  constructor(
    private readonly file: string,
    private readonly at: (offset: number) => SourceLoc,
    private readonly issues: IssueList,
  ) {}

  convert(node: Node, depth: number, inAlias: boolean): unknown {
    if (depth > MAX_DEPTH) this.abort(node, `nesting deeper than ${MAX_DEPTH} levels`);
    if (inAlias && ++this.expanded > MAX_ALIAS_EXPANSION) {
      this.abort(
        node,
        `aliases expand to more than ${MAX_ALIAS_EXPANSION} values (an alias bomb?): refusing the file`,
      );
    }
    if (isAlias(node)) {
      const target = this.anchors.get(node.source);
      if (!target) this.abort(node, `alias *${node.source} refers to no anchor`);
      if (this.active.has(target)) this.abort(node, `alias *${node.source} refers to itself`);
      this.active.add(target);
      const v = this.convert(target, depth + 1, true);
      this.active.delete(target);
      return v;
    }
    if (!inAlias && node.anchor) this.anchors.set(node.anchor, node);
    const tag = node.tag;
    if (tag === '!reset') return new ResetMarker();
    if (tag === '!override') return new OverrideMarker(this.untagged(node, depth, inAlias));
    if (tag?.startsWith('!') && !tag.startsWith('!!'))
      this.abort(node, `unknown tag ${tag} (Compose knows !reset and !override)`);
    return this.untagged(node, depth, inAlias);
  }

  private untagged(node: Node, depth: number, inAlias: boolean): unknown {
    const path = this.path;
    if (isScalar(node)) {
      const src = node.source;
      if (typeof node.value === 'number' && node.type === 'PLAIN' && typeof src === 'string') {
        if (keepsSourceText(path)) return src;
        if (/^[-+]?0[0-7]+$/.test(src)) return parseInt(src, 8);
      }
      if (keepsSourceText(path) && node.type === 'PLAIN' && typeof node.value === 'boolean' && src)
        return src;
      return node.value;
    }
    if (isSeq(node)) {
      const out: unknown[] = [];
      node.items.forEach((item, i) => {
        const child = item as Node;
        path.push(i);
        out.push(this.convert(child, depth + 1, inAlias));
        path.pop();
        setLoc(out, i, this.loc(child));
      });
      return out;
    }
    if (isMap(node)) {
      const out: Tree = {};
      const merges: Tree[] = [];
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        if (!isScalar(keyNode)) {
          this.abort(keyNode ?? node, 'mapping keys must be plain scalars');
        }
        const key = keyNode.value === null ? '' : String(keyNode.value);
        const valueNode = pair.value as Node | null;
        if (key === '<<' && keyNode.type === 'PLAIN') {
          merges.push(...this.mergeSources(valueNode, depth, inAlias));
          continue;
        }
        path.push(key);
        const value = valueNode ? this.convert(valueNode, depth + 1, inAlias) : null;
        path.pop();
        if (Object.prototype.hasOwnProperty.call(out, key)) {
          const first = getLoc(out, key);
          this.abort(
            keyNode,
            `duplicate key "${key}"${first ? ` (first at line ${first.line})` : ''}: each key may appear once in a mapping`,
          );
        }
        defineChild(out, key, value);
        setLoc(out, key, this.loc(valueNode && valueNode.range ? valueNode : keyNode));
        setKeyLoc(out, key, this.loc(keyNode));
      }
      for (const src of merges) {
        for (const [k, v] of Object.entries(src)) {
          if (Object.prototype.hasOwnProperty.call(out, k)) continue;
          defineChild(out, k, v);
          setLoc(out, k, getLoc(src, k));
        }
      }
      return out;
    }
    this.abort(node, 'unsupported YAML node');
  }

  private mergeSources(valueNode: Node | null, depth: number, inAlias: boolean): Tree[] {
    const nodes = valueNode && isSeq(valueNode) ? (valueNode.items as Node[]) : valueNode ? [valueNode] : [];
    return nodes.map((n) => {
      const v = this.convert(n, depth + 1, inAlias);
      if (!isPlainObject(v)) this.abort(n, 'a merge key << takes a mapping or a list of mappings');
      return v;
    });
  }

  private loc(node: Node | null | undefined): SourceLoc | undefined {
    return node?.range ? this.at(node.range[0]) : undefined;
  }

  private abort(node: Node, message: string): never {
    this.failed = true;
    this.issues.addAt(this.loc(node) ?? { file: this.file }, '', message);
    throw new LoadAbort(message);
  }
}
