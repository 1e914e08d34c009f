// Property tests: random and mutated Compose files only ever load or fail with a SpecError whose every issue
// is located — never another exception, never a hang.
import fc from 'fast-check';
import { SpecError } from '@tsstack/model';
import { stringify } from 'yaml';
import { loadFrom } from './spec-test-helpers';

const VALID = `name: shop
x-env: &env
  TZ: UTC
services:
  web:
    image: nginx:\${TAG:-1.25}
    ports: ["8080:80", {target: 443, published: 8443}]
    environment:
      <<: *env
      MODE: prod
    depends_on:
      db: {condition: service_healthy}
    networks: [front, back]
    deploy:
      replicas: 2
      update_config: {parallelism: 1, delay: 10s, order: start-first}
      resources: {limits: {cpus: "0.5", memory: 256m}}
  db:
    image: postgres:16
    volumes: ["pg:/var/lib/postgresql/data"]
    healthcheck: {test: ["CMD-SHELL", "pg_isready"], interval: 5s, retries: 5}
    secrets: [pw]
    networks: [back]
    profiles: [db]
networks:
  front: {}
  back: {internal: true}
volumes:
  pg: {}
secrets:
  pw: {environment: PW}
`;

async function outcome(text: string): Promise<void> {
  try {
    await loadFrom({ 'compose.yaml': text }, { env: { PW: 'x' }, profiles: ['db'] });
  } catch (err) {
    if (!(err instanceof SpecError)) throw err;
    for (const i of err.issues) {
      expect(i.file).toBeTruthy();
      expect(i.message).toBeTruthy();
      if (i.line === undefined && i.path === '') throw new Error(`issue without a location: ${i.message}`);
    }
  }
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 8 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.string({
      unit: fc.constantFrom(
        ':',
        '-',
        ' ',
        '\n',
        '{',
        '}',
        '[',
        ']',
        '$',
        '&',
        '*',
        '!',
        '"',
        "'",
        'a',
        '1',
        '#',
        '<<',
      ),
      maxLength: 6,
    }),
  }),
  fc.record({ kind: fc.constant('dupline' as const), at: fc.nat() }),
);

function mutate(
  text: string,
  muts: Array<{ kind: string; at: number; len?: number; text?: string }>,
): string {
  let t = text;
  for (const m of muts) {
    const at = m.at % (t.length + 1);
    if (m.kind === 'delete') t = t.slice(0, at) + t.slice(at + (m.len ?? 1));
    else if (m.kind === 'insert') t = t.slice(0, at) + m.text + t.slice(at);
    else {
      const lines = t.split('\n');
      const i = m.at % lines.length;
      lines.splice(i, 0, lines[i]!);
      t = lines.join('\n');
    }
  }
  return t;
}

describe('random and mutated inputs', () => {
  it('the valid base file loads', async () => {
    await expect(
      loadFrom({ 'compose.yaml': VALID }, { env: { PW: 'x' }, profiles: ['db'] }),
    ).resolves.toBeDefined();
  });

  it('mutated files load or fail with located SpecErrors', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), (muts) =>
        outcome(mutate(VALID, muts)),
      ),
      { numRuns: 300 },
    );
  });

  it('random YAML documents load or fail with located SpecErrors', async () => {
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
    await fc.assert(
      fc.asyncProperty(anyTree, (v) => outcome(stringify(v) ?? '')),
      { numRuns: 200 },
    );
  });

  it('random services under a valid top level load or fail with located SpecErrors', async () => {
    const keys = fc.constantFrom(
      'image',
      'ports',
      'volumes',
      'deploy',
      'healthcheck',
      'environment',
      'depends_on',
      'networks',
      'secrets',
      'command',
      'extends',
      'build',
      'ulimits',
      'restart',
      'profiles',
    );
    const leaf = fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.constantFrom('80:80', '1m', '512m', 'a:/b', 'db', 'CMD'),
    );
    const val = fc.oneof(
      leaf,
      fc.array(leaf, { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 6 }), leaf, { maxKeys: 3 }),
    );
    const services = fc.dictionary(
      fc.constantFrom('a', 'b', 'db'),
      fc.dictionary(keys, val, { maxKeys: 5 }),
      { minKeys: 1, maxKeys: 3 },
    );
    await fc.assert(
      fc.asyncProperty(services, (s) => outcome(stringify({ services: s }))),
      { numRuns: 300 },
    );
  });

  it('random top-level sections (include, networks, volumes, configs, secrets) load or fail located', async () => {
    const leaf = fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.constantFrom('x.yaml', './f', 'bridge', '10.0.0.0/24'),
    );
    const val = fc.oneof(
      leaf,
      fc.array(leaf, { maxLength: 3 }),
      fc.dictionary(
        fc.constantFrom(
          'file',
          'driver',
          'external',
          'name',
          'ipam',
          'labels',
          'path',
          'content',
          'environment',
        ),
        leaf,
        { maxKeys: 3 },
      ),
    );
    const top = fc.record(
      {
        include: fc.array(val, { maxLength: 2 }),
        networks: fc.dictionary(fc.constantFrom('n', 'm'), val, { maxKeys: 2 }),
        volumes: fc.dictionary(fc.constantFrom('v'), val, { maxKeys: 1 }),
        configs: fc.dictionary(fc.constantFrom('c'), val, { maxKeys: 1 }),
        secrets: fc.dictionary(fc.constantFrom('s'), val, { maxKeys: 1 }),
        name: leaf,
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(top, (t) => outcome(stringify({ services: { a: { image: 'a' } }, ...t }))),
      { numRuns: 300 },
    );
  });
});
