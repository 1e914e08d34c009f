// libs/spec: the fast path of YAML loading. js-yaml's event parser (several times faster than the `yaml`
// library's) feeds a converter that builds the same plain tree as yaml-loader.ts, without locations.
// It never reports anything: whenever the file is not plainly valid and ordinary (a syntax error, a
// duplicate key, an unknown tag, an alias bomb, a directive, several documents, a non-mapping top level, any
// construct the two parsers might read differently), it returns undefined and the caller loads the file with
// yaml-loader.ts, whose issues are located. stack-loader.ts re-runs a whole load that way on any issue.
import { EVENT_ID, getScalarValue, parseEvents, SCALAR_STYLE, type Event, type ScalarEvent } from 'js-yaml';
import {
  defineChild,
  isPlainObject,
  OverrideMarker,
  ResetMarker,
  type PathSeg,
  type Tree,
} from './source-locations';
import { keepsSourceText, MAX_ALIAS_EXPANSION, MAX_DEPTH } from './yaml-loader';

/** A place in a tree holding a string with a `$` in it: what interpolation has to look at. */
export type TemplateSlot = readonly [container: object, key: PathSeg];

export interface FastTree {
  tree: Tree;
  /** Every string value holding a `$`, where it sits (a superset: merge sources' own slots included). */
  templates: TemplateSlot[];
}

/** The plain tree of one Compose file, or undefined: load it with loadYaml instead. */
export function loadYamlFast(text: string): FastTree | undefined {
  // Explicit keys (`? key`) are rare in Compose files and read differently by the two parsers in corners.
  if (text.includes('?') && EXPLICIT_KEY.test(text)) return undefined;
  let events: Event[];
  try {
    events = parseEvents(text, { maxDepth: MAX_DEPTH });
  } catch {
    return undefined;
  }
  const first = events[0];
  // One document, no directives (yaml and js-yaml treat those differently), a mapping at the top.
  if (first?.type !== EVENT_ID.DOCUMENT || first.directives.length) return undefined;
  if (events[1]?.type !== EVENT_ID.MAPPING || events.length < 3) return undefined;
  if (events[events.length - 1]!.type !== EVENT_ID.POP || events[events.length - 2]!.type !== EVENT_ID.POP)
    return undefined;
  const conv = new EventConverter(text, events);
  try {
    const tree = conv.convert(1, 0, false);
    // Anything after the top-level mapping (a second document) is for the located loader to judge.
    if (conv.pos !== events.length - 1 || !isPlainObject(tree)) return undefined;
    return { tree, templates: conv.templates };
  } catch (err) {
    if (err instanceof Unsure) return undefined;
    throw err;
  }
}

const EXPLICIT_KEY = /^[ \t-]*\?(?:[ \t]|$)|[{[,:][ \t]*\?(?:[ \t]|$)/m;

/** Thrown inside the converter: this file is for the located loader. */
class Unsure extends Error {}

const UNSURE = new Unsure('defer to the located YAML loader');

function unsure(): never {
  throw UNSURE;
}

/** A plain scalar as the `yaml` library's YAML 1.2 core schema reads it. */
export function coreScalar(s: string): unknown {
  switch (s) {
    case '':
    case '~':
    case 'null':
    case 'Null':
    case 'NULL':
      return null;
    case 'true':
    case 'True':
    case 'TRUE':
      return true;
    case 'false':
    case 'False':
    case 'FALSE':
      return false;
  }
  const c = s.charCodeAt(0);
  // Every number starts with a digit, a sign or a dot.
  if (!((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46)) return s;
  if (/^0o[0-7]+$/.test(s)) return parseInt(s.substring(2), 8);
  if (/^[-+]?[0-9]+$/.test(s)) return parseInt(s, 10);
  if (/^0x[0-9a-fA-F]+$/.test(s)) return parseInt(s.substring(2), 16);
  if (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(s)) {
    if (s.slice(-3).toLowerCase() === 'nan') return NaN;
    return s[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(s)) return parseFloat(s);
  if (/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(s)) return parseFloat(s);
  return s;
}

const OCTAL_LOOKING = /^[-+]?0[0-7]+$/;
/** Indicators that may not start a plain scalar (YAML 1.2, ns-plain-first). */
const PLAIN_NEVER_FIRST = ',[]{}#&*!|>\'"%@`';

/** Mirrors yaml-loader.ts's Converter over js-yaml events; `pos` is the index of the next event. */
class EventConverter {
  pos = 0;
  private expanded = 0;
  /** Anchors in document order, as event indexes (an alias re-converts its anchor's events). */
  private readonly anchors = new Map<string, number>();
  private readonly active = new Set<number>();
  private readonly path: PathSeg[] = [];
  readonly templates: TemplateSlot[] = [];
  /** One string per distinct key: a key string fresh from the source text makes every property lookup
   * with it slow (V8 must find its internalized twin each time); a reused one is looked up once. */
  private readonly keys = new Map<string, string>();

  constructor(
    private readonly text: string,
    private readonly events: Event[],
  ) {}

  convert(at: number, depth: number, inAlias: boolean): unknown {
    if (depth > MAX_DEPTH) unsure();
    if (inAlias && ++this.expanded > MAX_ALIAS_EXPANSION) unsure();
    const e = this.events[at]!;
    if (e.type === EVENT_ID.ALIAS) {
      const target = this.anchors.get(this.name(e.anchorStart, e.anchorEnd));
      if (target === undefined || this.active.has(target)) unsure();
      this.active.add(target);
      const v = this.convert(target, depth + 1, true);
      this.active.delete(target);
      this.pos = at + 1;
      return v;
    }
    if (e.type !== EVENT_ID.SCALAR && e.type !== EVENT_ID.MAPPING && e.type !== EVENT_ID.SEQUENCE) unsure();
    if (e.anchorStart >= 0) {
      this.spaceAfter(e.anchorEnd);
      if (!inAlias) this.anchors.set(this.name(e.anchorStart, e.anchorEnd), at);
    }
    if (e.tagStart < 0) return this.untagged(at, depth, inAlias);
    this.spaceAfter(e.tagEnd);
    const tag = this.text.slice(e.tagStart, e.tagEnd);
    if (tag === '!reset') {
      this.resetValue(at);
      return new ResetMarker();
    }
    if (tag !== '!override') unsure();
    // yaml resolves no scalar type under an unknown tag: `!override 3` is the string "3".
    if (e.type === EVENT_ID.SCALAR) {
      this.pos = at + 1;
      const marker = new OverrideMarker(this.scalarText(e));
      this.place(marker, 'value', marker.value);
      return marker;
    }
    return new OverrideMarker(this.untagged(at, depth, inAlias));
  }

  private untagged(at: number, depth: number, inAlias: boolean): unknown {
    const e = this.events[at]!;
    if (e.type === EVENT_ID.SCALAR) {
      this.pos = at + 1;
      return this.scalar(e);
    }
    if (e.type === EVENT_ID.SEQUENCE) return this.sequence(at, depth, inAlias);
    if (e.type === EVENT_ID.MAPPING) {
      // A single-pair mapping inside a flow sequence (`[a: 1]`) is a Pair to yaml, refused by the loader.
      if (e.style === 2 && this.text.charCodeAt(e.start) !== 123 /* { */) unsure();
      return this.mapping(at, depth, inAlias);
    }
    return unsure();
  }

  private scalar(e: ScalarEvent): unknown {
    const value = this.scalarText(e);
    if (e.style !== SCALAR_STYLE.PLAIN) return value;
    const v = coreScalar(value);
    if (typeof v === 'number') {
      if (keepsSourceText(this.path)) return value;
      if (OCTAL_LOOKING.test(value)) return parseInt(value, 8);
    } else if (typeof v === 'boolean' && keepsSourceText(this.path)) return value;
    return v;
  }

  /** A scalar's value; a plain one must start as YAML allows (js-yaml reads `a: ]` as the string "]"). */
  private scalarText(e: ScalarEvent): string {
    if (e.style === SCALAR_STYLE.PLAIN && e.valueStart >= 0) {
      const c = this.text[e.valueStart]!;
      if (PLAIN_NEVER_FIRST.includes(c)) unsure();
      if ('-?:'.includes(c) && ' \t\r\n'.includes(this.text[e.valueStart + 1] ?? ' ')) unsure();
    }
    return getScalarValue(this.text, e);
  }

  private sequence(at: number, depth: number, inAlias: boolean): unknown[] {
    const flow = this.isFlow(at);
    const out: unknown[] = [];
    const path = this.path;
    let i = at + 1;
    while (this.events[i]!.type !== EVENT_ID.POP) {
      const index = out.length;
      path.push(index);
      const item = this.convert(i, depth + 1, inAlias);
      path.pop();
      out.push(item);
      this.place(out, index, item);
      i = this.pos;
    }
    if (flow) this.checkFlowOnOneLine(at, i);
    this.pos = i + 1;
    return out;
  }

  private mapping(at: number, depth: number, inAlias: boolean): Tree {
    const flow = this.isFlow(at);
    const out: Tree = {};
    let merges: Tree[] | undefined;
    const path = this.path;
    let i = at + 1;
    while (this.events[i]!.type !== EVENT_ID.POP) {
      const k = this.events[i]!;
      // Keys: plain scalars without tag or anchor (yaml-loader never registers a key's anchor).
      // An empty key (a line starting with `: `) is where yaml is stricter than js-yaml.
      if (k.type !== EVENT_ID.SCALAR || k.tagStart >= 0 || k.anchorStart >= 0 || k.valueStart < 0) unsure();
      const raw = this.scalarText(k);
      const plain = k.style === SCALAR_STYLE.PLAIN;
      i++;
      if (plain && raw === '<<') {
        (merges ??= []).push(...this.mergeSources(i, depth, inAlias));
        i = this.pos;
        continue;
      }
      const resolved = plain ? coreScalar(raw) : raw;
      const key = this.intern(resolved === null ? '' : String(resolved));
      if (Object.prototype.hasOwnProperty.call(out, key)) unsure();
      path.push(key);
      const value = this.convert(i, depth + 1, inAlias);
      path.pop();
      i = this.pos;
      defineChild(out, key, value);
      this.place(out, key, value);
    }
    if (flow) this.checkFlowOnOneLine(at, i);
    if (merges) {
      for (const src of merges) {
        for (const k of Object.keys(src)) {
          if (Object.prototype.hasOwnProperty.call(out, k)) continue;
          defineChild(out, k, src[k]);
          this.place(out, k, src[k]);
        }
      }
    }
    this.pos = i + 1;
    return out;
  }

  private mergeSources(at: number, depth: number, inAlias: boolean): Tree[] {
    const e = this.events[at]!;
    const isList = e.type === EVENT_ID.SEQUENCE && e.tagStart < 0 && e.anchorStart < 0;
    if (!isList) {
      const v = this.convert(at, depth + 1, inAlias);
      if (!isPlainObject(v)) unsure();
      return [v];
    }
    const out: Tree[] = [];
    let i = at + 1;
    while (this.events[i]!.type !== EVENT_ID.POP) {
      const v = this.convert(i, depth + 1, inAlias);
      if (!isPlainObject(v)) unsure();
      out.push(v);
      i = this.pos;
    }
    this.pos = i + 1;
    return out;
  }

  private isFlow(at: number): boolean {
    const e = this.events[at]!;
    return (e.type === EVENT_ID.SEQUENCE || e.type === EVENT_ID.MAPPING) && e.style === 2;
  }

  /**
   * yaml warns when a multi-line flow collection ends at its parent's indentation, which js-yaml accepts;
   * rather than judge the indentation, any flow collection that does not end on its first line is left
   * to the located loader. `popAt` is the index of its POP event.
   */
  private checkFlowOnOneLine(at: number, popAt: number): void {
    const start = (this.events[at] as { start: number }).start;
    const lineEnd = this.text.indexOf('\n', start);
    if (lineEnd < 0) return;
    let last = start + 1;
    for (let i = at + 1; i < popAt; i++) last = Math.max(last, this.eventEnd(this.events[i]!));
    if (last > lineEnd) unsure();
    // Between the last item and the closing bracket only blanks and a trailing comma may stand.
    let p = last;
    const t = this.text;
    while (p < lineEnd && (t[p] === ' ' || t[p] === '\t' || t[p] === ',')) p++;
    if (t[p] !== ']' && t[p] !== '}') unsure();
  }

  /** The offset just after an event's own text (a quoted scalar's closing quote included). */
  private eventEnd(e: Event): number {
    switch (e.type) {
      case EVENT_ID.SCALAR:
        return e.style === SCALAR_STYLE.SINGLE_QUOTED || e.style === SCALAR_STYLE.DOUBLE_QUOTED
          ? e.valueEnd + 1
          : Math.max(e.valueEnd, e.tagEnd, e.anchorEnd);
      case EVENT_ID.ALIAS:
        return e.anchorEnd;
      case EVENT_ID.SEQUENCE:
      case EVENT_ID.MAPPING:
        return e.start + 1;
      default:
        return 0;
    }
  }

  /** Notes a string value that interpolation must look at. */
  private place(container: object, key: PathSeg, value: unknown): void {
    if (typeof value === 'string' && value.includes('$')) this.templates.push([container, key]);
  }

  private intern(key: string): string {
    const known = this.keys.get(key);
    if (known !== undefined) return known;
    this.keys.set(key, key);
    return key;
  }

  /**
   * Steps over a `!reset` value, which is not converted. Compose files write `!reset []`, `!reset {}` or
   * `!reset null`; anything larger is left to the located loader rather than checked here.
   */
  private resetValue(at: number): void {
    const e = this.events[at]!;
    if (e.type === EVENT_ID.SCALAR) {
      this.scalarText(e);
      this.pos = at + 1;
      return;
    }
    if (this.events[at + 1]?.type !== EVENT_ID.POP) unsure();
    if (this.isFlow(at)) this.checkFlowOnOneLine(at, at + 1);
    this.pos = at + 2;
  }

  /** yaml wants white space after an anchor or a tag (`&a{}` is an error there, not in js-yaml). */
  private spaceAfter(end: number): void {
    const c = this.text[end];
    if (c !== undefined && c !== ' ' && c !== '\n' && c !== '\t' && c !== '\r') unsure();
  }

  private name(start: number, end: number): string {
    const n = this.text.slice(start, end);
    // yaml warns about anchors and aliases ending in ':' (ambiguous); the located loader reports it.
    if (n.endsWith(':')) unsure();
    return n;
  }
}
