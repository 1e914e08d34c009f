// Unit tests: Compose merge rules, table-driven, and merge identities as properties (fast-check).
import fc from 'fast-check';
import { mergeFiles, mergeService, stripMarkers } from './merge-rules';
import { OverrideMarker, ResetMarker, type Tree } from './source-locations';

describe('mergeService', () => {
  it.each<[string, Tree, Tree, Tree]>([
    ['scalars replaced', { image: 'a' }, { image: 'b' }, { image: 'b' }],
    [
      'environment list+map merged as a map',
      { environment: ['A=1', 'B=2'] },
      { environment: { B: '3' } },
      { environment: { A: '1', B: '3' } },
    ],
    [
      'ports appended without duplicates',
      { ports: ['80:80'] },
      { ports: ['80:80', '443:443'] },
      { ports: ['80:80', '443:443'] },
    ],
    [
      'volumes merged by target',
      { volumes: ['a:/data', '/x'] },
      { volumes: ['b:/data'] },
      { volumes: ['b:/data', '/x'] },
    ],
    [
      'secrets merged by source',
      { secrets: ['s', { source: 't', target: 'x' }] },
      { secrets: [{ source: 's', mode: 0o400 }] },
      {
        secrets: [
          { source: 's', mode: 0o400 },
          { source: 't', target: 'x' },
        ],
      },
    ],
    ['command replaced', { command: ['a', 'b'] }, { command: ['c'] }, { command: ['c'] }],
    ['cap_add deduplicated', { cap_add: ['A', 'B'] }, { cap_add: ['B', 'C'] }, { cap_add: ['A', 'B', 'C'] }],
    [
      'networks list + map',
      { networks: ['a'] },
      { networks: { b: { aliases: ['x'] } } },
      { networks: { a: null, b: { aliases: ['x'] } } },
    ],
    [
      'depends_on list + map',
      { depends_on: ['db'] },
      { depends_on: { db: { condition: 'service_healthy' } } },
      { depends_on: { db: { condition: 'service_healthy', required: true } } },
    ],
    [
      'deploy merged deeply',
      { deploy: { replicas: 2, update_config: { parallelism: 1 } } },
      { deploy: { update_config: { delay: '5s' } } },
      { deploy: { replicas: 2, update_config: { parallelism: 1, delay: '5s' } } },
    ],
    [
      'logging driver change replaces',
      { logging: { driver: 'a', options: { x: '1' } } },
      { logging: { driver: 'b' } },
      { logging: { driver: 'b' } },
    ],
    [
      'build string + map',
      { build: '.' },
      { build: { target: 'dev' } },
      { build: { context: '.', target: 'dev' } },
    ],
    ['!reset removes', { dns: ['1.1.1.1'], image: 'a' }, { dns: new ResetMarker() }, { image: 'a' }],
    [
      '!override replaces',
      { labels: { a: '1' } },
      { labels: new OverrideMarker({ b: '2' }) },
      { labels: { b: '2' } },
    ],
  ])('%s', (_n, base, over, expected) => {
    expect(stripMarkers(mergeService(base, over))).toEqual(expected);
  });
});

const key = fc.constantFrom('image', 'command', 'environment', 'ports', 'labels', 'cap_add', 'deploy', 'x-a');
const leaf = fc.oneof(fc.string({ maxLength: 5 }), fc.integer(), fc.boolean());
const value = fc.oneof(
  leaf,
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 4 }),
  fc.dictionary(fc.string({ minLength: 1, maxLength: 3 }), leaf, { maxKeys: 3 }),
);
const service = fc.dictionary(key, value, { maxKeys: 5 });
const file = fc.record({ services: fc.dictionary(fc.constantFrom('a', 'b', 'c'), service, { maxKeys: 3 }) });

describe('merge properties', () => {
  it('merging an empty file changes nothing', () => {
    fc.assert(fc.property(file, (f) => expect(mergeFiles(f, {})).toEqual(f)));
  });
  it('merging onto an empty file gives the file', () => {
    fc.assert(fc.property(file, (f) => expect(mergeFiles({}, f)).toEqual(f)));
  });
  it('merging a file with itself is idempotent for non-map-like fields', () => {
    const plain = fc.record({
      services: fc.dictionary(
        fc.constantFrom('a', 'b'),
        fc.dictionary(fc.constantFrom('image', 'cap_add', 'deploy', 'ports'), value, { maxKeys: 3 }),
        { maxKeys: 2 },
      ),
    });
    fc.assert(
      fc.property(plain, (f) => {
        const once = mergeFiles(f, f);
        expect(mergeFiles(once, f)).toEqual(once);
      }),
    );
  });
  it('later files win for scalars', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) =>
        expect(mergeService({ image: a }, { image: b })).toEqual({ image: b }),
      ),
    );
  });
  it('never changes its inputs', () => {
    fc.assert(
      fc.property(file, file, (a, b) => {
        const ca = JSON.stringify(a);
        const cb = JSON.stringify(b);
        mergeFiles(a, b);
        expect([JSON.stringify(a), JSON.stringify(b)]).toEqual([ca, cb]);
      }),
    );
  });
});
