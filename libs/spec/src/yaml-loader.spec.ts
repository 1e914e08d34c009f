// Unit tests: YAML loading as Compose reads it, with locations, bounds and YAML 1.1/1.2 surprises.
import { IssueList } from './issue-list';
import { locate } from './source-locations';
import { loadYaml, MAX_ALIAS_EXPANSION } from './yaml-loader';

function load(text: string): { tree: unknown; issues: IssueList } {
  const issues = new IssueList();
  return { tree: loadYaml('f.yaml', text, issues), issues };
}

describe('loadYaml', () => {
  it('keeps Compose scalar rules: yes/on strings, 0755 octal, 80:80 a string', () => {
    const { tree } = load('a: yes\nb: on\nc: 0755\nd: 80:80\ne: 0o17\nf: 1.5\ng: true\n');
    expect(tree).toEqual({ a: 'yes', b: 'on', c: 0o755, d: '80:80', e: 15, f: 1.5, g: true });
  });

  it('keeps the source text of string-map values (environment, labels)', () => {
    const { tree } = load(
      'services:\n  s:\n    environment:\n      A: 0755\n      B: true\n      C: 1.10\n    labels: {x: 010}\n',
    );
    expect(tree).toEqual({
      services: { s: { environment: { A: '0755', B: 'true', C: '1.10' }, labels: { x: '010' } } },
    });
  });

  it('refuses duplicate keys with their place', () => {
    const { tree, issues } = load('services:\n  a: {}\n  a: {}\n');
    expect(tree).toBeUndefined();
    expect(issues.issues[0]).toMatchObject({
      file: 'f.yaml',
      line: 3,
      column: 3,
      message: expect.stringMatching(/duplicate key/),
    });
    expect(issues.issues[0]!.excerpt).toBe('3 |   a: {}\n  |   ^');
  });

  it('reports syntax errors at their line', () => {
    const { issues } = load('services:\n  web:\n    image: "x\n');
    expect(issues.issues[0]).toMatchObject({
      line: expect.any(Number),
      message: expect.stringMatching(/invalid YAML/),
    });
  });

  it('expands merge keys, explicit keys winning', () => {
    const { tree } = load('x: &d {a: 1, b: 2}\ny:\n  <<: *d\n  b: 3\nz:\n  <<: [{a: 9}, *d]\n');
    expect(tree).toMatchObject({ y: { a: 1, b: 3 }, z: { a: 9, b: 2 } });
  });

  it('stops a billion-laughs file fast, in bounded memory', () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      lines.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const started = Date.now();
    const { tree, issues } = load(lines.join('\n'));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(tree).toBeUndefined();
    expect(issues.issues[0]!.message).toMatch(new RegExp(`more than ${MAX_ALIAS_EXPANSION}`));
  });

  it('refuses unknown tags but keeps !reset and !override', () => {
    expect(load('a: !foo x\n').issues.issues[0]!.message).toMatch(/unknown tag !foo/);
    const { tree } = load('a: !reset []\nb: !override {c: 1}\n');
    expect(tree).toMatchObject({ a: { kind: 'reset' }, b: { kind: 'override', value: { c: 1 } } });
  });

  it('refuses a top level that is not a mapping', () => {
    expect(load('- a\n- b\n').issues.issues[0]!.message).toMatch(/must be a mapping/);
  });

  it('locates nested values', () => {
    const { tree } = load('services:\n  web:\n    ports:\n      - "80:80"\n      - 81\n');
    expect(locate(tree, ['services', 'web', 'ports', 1])).toMatchObject({ file: 'f.yaml', line: 5, col: 9 });
  });

  it('an empty file is an empty mapping', () => {
    expect(load('').tree).toEqual({});
  });
});
