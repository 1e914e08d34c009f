// Unit and differential tests: the js-yaml fast path builds exactly the tree yaml-loader.ts builds (same
// values, same key order, same markers), or steps aside (undefined) so the located loader judges the file.
import fc from 'fast-check';
import { stringify } from 'yaml';
import { coreScalar, loadYamlFast } from './fast-yaml-loader';
import { IssueList } from './issue-list';
import { OverrideMarker, ResetMarker, type Tree } from './source-locations';
import { DIR, issuesOf, loadFrom } from './spec-test-helpers';
import { interpolateSlots, interpolateTree } from './tree-passes';
import { loadYaml, MAX_ALIAS_EXPANSION } from './yaml-loader';

/** A comparable picture of a tree: key order, markers and NaN included. */
function shape(v: unknown): unknown {
  if (v instanceof ResetMarker) return { reset: true };
  if (v instanceof OverrideMarker) return { override: shape(v.value) };
  if (Array.isArray(v)) return { seq: v.map(shape) };
  if (v !== null && typeof v === 'object') return { map: Object.entries(v).map(([k, x]) => [k, shape(x)]) };
  if (typeof v === 'number') return { num: String(v) };
  return v;
}

function located(text: string, issues = new IssueList()): unknown {
  return loadYaml('f.yaml', text, issues);
}

/** The property every input must have: same tree as the located loader, or no answer at all. */
function agrees(text: string): void {
  const fast = loadYamlFast(text)?.tree;
  if (fast === undefined) return;
  const issues = new IssueList();
  const slow = located(text, issues);
  if (slow === undefined) {
    const why = issues.issues.map((i) => `${i.message}\n${i.excerpt ?? ''}`).join('\n');
    throw new Error(`fast path accepted what yaml-loader refuses: ${why}`);
  }
  expect(shape(fast)).toStrictEqual(shape(slow));
  agreesInterpolated(text);
}

/** Interpolating only the fast path's listed `$` strings equals interpolating the whole located tree. */
function agreesInterpolated(text: string): void {
  const lookup = (name: string): string | undefined => (name.startsWith('U') ? undefined : `<${name}>`);
  const fast = loadYamlFast(text)!;
  const fastIssues = new IssueList();
  interpolateSlots(fast.templates, lookup, fastIssues, 'f.yaml');
  const slow = located(text) as Tree;
  const slowIssues = new IssueList();
  interpolateTree(slow, lookup, slowIssues, 'f.yaml');
  // The fast path may also complain about a merge source's string that never reaches the tree (the load
  // is then re-run located); it must never miss a problem.
  if (slowIssues.size) expect(fastIssues.size).toBeGreaterThan(0);
  if (!fastIssues.size) expect(shape(fast.tree)).toStrictEqual(shape(slow));
}

const BASE = `name: shop
x-env: &env
  TZ: UTC
  N: 0755
x-svc: &svc
  restart: unless-stopped
  logging: {driver: json-file, options: {max-size: 10m, max-file: "3"}}
services:
  web:
    <<: *svc
    image: nginx:\${TAG:-1.25}
    command: ["sh", "-c", 'echo "$$HOME"']
    ports: ["8080:80", {target: 443, published: 8443}, 9000]
    environment:
      <<: *env
      MODE: prod
      HOME_DIR: $HOME/x \${U:-\${V}}
      ESC: $$literal
      ON: on
      T: true
      F: 1.10
      E:
    labels: {a: 010, b: yes, c: ~}
    depends_on:
      db: {condition: service_healthy}
    healthcheck:
      test: |
        curl -f http://localhost/ || exit 1
      interval: 1m30s
      retries: 0o17
    deploy:
      replicas: 2
      resources: {limits: {cpus: "0.5", memory: 256m}}
      labels: {x: 1e3}
    networks: !override [front]
    volumes: !reset []
  db:
    image: postgres:16
    sysctls:
      net.core.somaxconn: 1024
    extra_hosts: {h: 0x1F}
    build: {args: {V: 1.0}}
    "quoted key": 'single ''quoted'''
    folded: >
      a
      b
    plain multi: a
      b
    nums: [1, -2, +3, .5, 1., 1e3, .inf, -.Inf, .NaN, 0x1f, 0o7, 0755, 08, 1_000]
    bools: [true, True, TRUE, false, yes, no, on, off, y]
    nulls: [null, Null, NULL, ~, '', ]
networks:
  front: {}
  back: {internal: true, labels: {k: 007}}
volumes:
  pg: {driver_opts: {o: 1}}
secrets:
  pw: {environment: PW}
`;

describe('coreScalar', () => {
  it.each([
    ['', null],
    ['~', null],
    ['Null', null],
    ['TRUE', true],
    ['False', false],
    ['yes', 'yes'],
    ['0o17', 15],
    ['0x1F', 31],
    ['-12', -12],
    ['0755', 755],
    ['1.50', 1.5],
    ['1e3', 1000],
    ['.5', 0.5],
    ['-.inf', Number.NEGATIVE_INFINITY],
    ['1_000', '1_000'],
    ['80:80', '80:80'],
  ])('%j reads as %j', (text, value) => {
    expect(coreScalar(text)).toStrictEqual(value);
  });

  it('.nan is NaN', () => {
    expect(coreScalar('.NaN')).toBeNaN();
  });
});

describe('loadYamlFast', () => {
  it('builds the same tree as the located loader on a file using every Compose YAML habit', () => {
    const fast = loadYamlFast(BASE)?.tree;
    expect(fast).toBeDefined();
    expect(shape(fast)).toStrictEqual(shape(located(BASE)));
  });

  it('merge keys: local keys first, then merged ones, explicit keys winning', () => {
    const text = 'x: &d {a: 1, b: 2}\ny:\n  <<: *d\n  b: 3\nz:\n  <<: [{a: 9}, *d]\n';
    const fast = loadYamlFast(text)!.tree;
    expect(Object.keys(fast.y as object)).toEqual(['b', 'a']);
    expect(fast).toMatchObject({ y: { a: 1, b: 3 }, z: { a: 9, b: 2 } });
    agrees(text);
  });

  it('an alias re-reads its anchor at the new place (string maps keep source text there)', () => {
    const text = 'x: &v {A: 0755}\nservices:\n  s:\n    environment: *v\n';
    expect(loadYamlFast(text)?.tree).toEqual({
      x: { A: 0o755 },
      services: { s: { environment: { A: '0755' } } },
    });
    agrees(text);
  });

  it.each([
    ['a syntax error', 'services:\n  web:\n    image: "x\n'],
    ['a duplicate key', 'services:\n  a: {}\n  a: {}\n'],
    ['an unknown tag', 'a: !foo x\n'],
    ['a standard tag', 'a: !!str 3\n'],
    ['an undefined alias', 'a: *nope\n'],
    ['an alias to itself', 'a: &x [*x]\n'],
    ['an anchor ending in a colon', 'a: &x: 1\n'],
    ['a directive', '%YAML 1.2\n---\na: 1\n'],
    ['two documents', 'a: 1\n---\nb: 2\n'],
    ['a top level list', '- a\n- b\n'],
    ['a scalar top level', 'hello\n'],
    ['a tagged top level', '!reset {}\n'],
    ['an overridden top level', '!override {a: 1}\n'],
    ['an empty file', ''],
    ['a comment only', '# nothing\n'],
    ['a pair in a flow sequence', 'a: [b: 1]\n'],
    ['a flow collection over several lines', 'a:\n  b: [x,\n  y]\n'],
    ['a flow collection closed on the next line', 'a: [x, y\n  ]\n'],
    ['a collection as a key', '? [a]\n: 1\n'],
    ['an explicit key', '? a\n: 1\n'],
    ['an empty key', 'a: 1\n: b: 2\n'],
    ['a merge of a list value', 'x: &l [1]\ny:\n  <<: *l\n'],
    ['a plain scalar starting with an indicator', 'a: ]\n'],
    ['an anchor without a space after it', 'a: &x{}\n'],
    ['a !reset value with content', 'a: !reset [x]\n'],
  ])('steps aside on %s', (_what, text) => {
    expect(loadYamlFast(text)).toBeUndefined();
  });

  it('steps aside on a billion-laughs file, fast', () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      lines.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    expect(loadYamlFast(lines.join('\n'))).toBeUndefined();
    expect(MAX_ALIAS_EXPANSION).toBeLessThan(9 ** 9);
  });

  it('mutated Compose files: the same tree as the located loader, or no answer', () => {
    const piece = fc.constantFrom(
      ':',
      '-',
      ' ',
      '  ',
      '\n',
      '\t',
      '{',
      '}',
      '[',
      ']',
      ',',
      '&a',
      '*a',
      '*env',
      '!reset',
      '!override',
      '"',
      "'",
      '|',
      '>',
      'a',
      '1',
      '0',
      '.',
      '#',
      '<<',
      '? ',
      '~',
      'x: ',
      '- ',
      '%',
    );
    const mutation = fc.record({
      kind: fc.constantFrom('delete', 'insert', 'dupline'),
      at: fc.nat(),
      len: fc.integer({ min: 1, max: 8 }),
      text: fc.array(piece, { maxLength: 5 }).map((p) => p.join('')),
    });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (muts) => {
        let t = BASE;
        for (const m of muts) {
          const at = m.at % (t.length + 1);
          if (m.kind === 'delete') t = t.slice(0, at) + t.slice(at + m.len);
          else if (m.kind === 'insert') t = t.slice(0, at) + m.text + t.slice(at);
          else {
            const lines = t.split('\n');
            const i = m.at % lines.length;
            lines.splice(i, 0, lines[i]!);
            t = lines.join('\n');
          }
        }
        agrees(t);
      }),
      { numRuns: 1500 },
    );
  });

  it('random documents in every style yaml writes: the same tree, or no answer', () => {
    const anyTree = fc.anything({
      maxDepth: 4,
      withNullPrototype: false,
      withBigInt: false,
      withDate: false,
      withMap: false,
      withSet: false,
      withTypedArray: false,
      withSparseArray: false,
      withBoxedValues: false,
    });
    const options = fc.record({
      collectionStyle: fc.constantFrom('any', 'block', 'flow'),
      defaultStringType: fc.constantFrom('PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE', 'BLOCK_LITERAL'),
      lineWidth: fc.constantFrom(0, 20, 80),
    }) as fc.Arbitrary<Parameters<typeof stringify>[2] & object>;
    fc.assert(
      fc.property(anyTree, options, (v, o) => {
        const text = stringify(v, o) ?? '';
        agrees(text);
        agrees(`top:\n${indent(text)}`);
      }),
      { numRuns: 1000 },
    );
  });
});

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => (l ? `  ${l}` : l))
    .join('\n');
}

describe('loadProject with the fast path', () => {
  it('a file the fast path read still gets located issues (the load is re-run located)', async () => {
    const issues = await issuesOf('services:\n  web:\n    image: nginx\n    imagee: x\n');
    expect(issues).toEqual([
      expect.objectContaining({
        file: `${DIR}/compose.yaml`,
        line: 4,
        column: 5,
        path: 'services.web.imagee',
        message: expect.stringMatching(/unknown field "imagee" \(did you mean "image"\?\)/),
        excerpt: '4 |     imagee: x\n  |     ^',
      }),
    ]);
  });

  it('files the fast path steps aside for and files it reads merge as before', async () => {
    const { stack } = await loadFrom(
      {
        'compose.yaml': 'services:\n  web:\n    image: !!str nginx\n    environment: {A: 0755}\n',
        'over.yaml': 'services:\n  web:\n    environment: {B: on}\n    ports: !override ["80:80"]\n',
      },
      { files: ['compose.yaml', 'over.yaml'] },
    );
    expect(stack.services.web).toMatchObject({
      image: 'nginx',
      environment: { A: '0755', B: 'on' },
      ports: [expect.objectContaining({ target: 80, published: 80 })],
    });
  });
});
