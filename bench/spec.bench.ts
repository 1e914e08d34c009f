// bench:spec — a generated 1000-service Compose stack (interpolation, merge keys, ports, volumes, depends_on
// with conditions, healthchecks, deploy sections, secrets) loaded from disk, interpolated, validated and
// normalized by loadStack (YAML through js-yaml's event parser; the `yaml` library parses only when a file
// has a problem, to locate it: both parsers' times are printed). Peer: `docker compose config -q` (or docker-compose v1) on the same file, when
// installed; otherwise the table and the JSON say it was not measured. Last stdout line: one JSON object.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseEvents } from 'js-yaml';
import { LineCounter, Parser, parseDocument } from 'yaml';
import { loadStack } from '@tsstack/spec';

const SERVICES = Number(process.env.SERVICES ?? 1000);
const ROUNDS = Number(process.env.ROUNDS ?? 10);

export function generateStack(n: number): string {
  const out: string[] = [
    'name: bench',
    'x-defaults: &defaults',
    '  restart: unless-stopped',
    '  logging: {driver: json-file, options: {max-size: 10m, max-file: "3"}}',
    'services:',
  ];
  for (let i = 0; i < n; i++) {
    out.push(
      `  svc-${i}:`,
      '    <<: *defaults',
      `    image: registry.local/app-${i % 50}:\${TAG:-1.0}`,
      `    command: ["sh", "-c", "exec server --port 80 --id ${i}"]`,
      '    environment:',
      `      SERVICE_ID: "${i}"`,
      '      LOG_LEVEL: ${LOG_LEVEL:-info}',
      '      DB_URL: postgres://db:5432/app',
      `    ports: ["${10000 + i}:80", {target: 9000, published: ${30000 + i}, protocol: udp, mode: host}]`,
      `    volumes: ["data-${i % 20}:/data", "/tmp/bench-${i}:/cache:ro", {type: tmpfs, target: /run, tmpfs: {size: 64m}}]`,
      '    networks: {front: {aliases: [alias-' + i + ']}, back: null}',
      ...(i > 0 ? ['    depends_on:', `      svc-${i - 1}: {condition: service_healthy}`] : []),
      '    healthcheck: {test: ["CMD", "wget", "-qO-", "http://127.0.0.1/health"], interval: 10s, timeout: 2s, retries: 3, start_period: 30s}',
      '    secrets: [api_key]',
      '    labels: {com.example.tier: backend, com.example.index: "' + i + '"}',
      '    deploy:',
      '      replicas: 2',
      '      resources: {limits: {cpus: "0.25", memory: 128m}, reservations: {memory: 64m}}',
      '      update_config: {parallelism: 1, delay: 5s, order: start-first, failure_action: rollback}',
      '      restart_policy: {condition: on-failure, delay: 2s, max_attempts: 3}',
      '      placement: {constraints: ["node.role == worker"], preferences: [{spread: node.labels.zone}]}',
    );
  }
  out.push('networks:', '  front: {}', '  back: {internal: true}', 'volumes:');
  for (let v = 0; v < 20; v++) out.push(`  data-${v}: {}`);
  out.push('secrets:', '  api_key: {environment: API_KEY}');
  return out.join('\n') + '\n';
}

/** A lighter stack: services of ~12 lines each (image, env, a port, a volume, depends_on, healthcheck, replicas). */
export function generateTypicalStack(n: number): string {
  const out: string[] = ['services:'];
  for (let i = 0; i < n; i++) {
    out.push(
      `  svc-${i}:`,
      `    image: registry.local/app:\${TAG:-1.0}`,
      '    environment:',
      `      SERVICE_ID: "${i}"`,
      `    ports: ["${10000 + i}:80"]`,
      '    volumes: ["data:/data"]',
      ...(i > 0 ? [`    depends_on: [svc-${i - 1}]`] : []),
      '    healthcheck:',
      '      test: ["CMD", "true"]',
      '      interval: 10s',
      '    deploy:',
      '      replicas: 2',
    );
  }
  out.push('volumes:', '  data: {}');
  return out.join('\n') + '\n';
}

async function timeLoad(
  file: string,
  dir: string,
  env: Record<string, string>,
  rounds: number,
): Promise<{ times: number[]; cpuTimes: number[]; count: number }> {
  const times: number[] = [];
  const cpuTimes: number[] = [];
  let count = 0;
  for (let r = 0; r < rounds; r++) {
    const cpu = process.cpuUsage();
    const t = process.hrtime.bigint();
    const stack = await loadStack({ files: [file], cwd: dir, env });
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    const used = process.cpuUsage(cpu);
    cpuTimes.push((used.user + used.system) / 1e3);
    count = Object.keys(stack.services).length;
  }
  return { times, cpuTimes, count };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function peerCommand(): { argv: string[]; name: string } | undefined {
  for (const argv of [['docker', 'compose'], ['docker-compose']]) {
    try {
      execFileSync(argv[0]!, [...argv.slice(1), 'version'], { stdio: 'ignore' });
      return { argv, name: `${argv.join(' ')} config -q` };
    } catch {
      // not installed: try the next one
    }
  }
  return undefined;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsstack-bench-spec-'));
  try {
    const file = path.join(dir, 'compose.yaml');
    fs.writeFileSync(file, generateStack(SERVICES));
    const env = { TAG: '2.1', API_KEY: 'secret' };
    const { times, cpuTimes, count } = await timeLoad(file, dir, env, ROUNDS + 1);
    const first = times.shift()!;
    const ours = median(times);
    // CPU time of the whole process (GC threads included): what the wall time would be on an idle machine,
    // roughly, when other work competes for the cores.
    const oursCpu = median(cpuTimes.slice(1));
    // The parser of the fast path alone (js-yaml's event parser, the first step of loadStack).
    const eventTimes: number[] = [];
    const text0 = fs.readFileSync(file, 'utf8');
    for (let r = 0; r < ROUNDS; r++) {
      const t = process.hrtime.bigint();
      parseEvents(text0, {});
      eventTimes.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    const eventsMs = median(eventTimes);
    // The `yaml` library's parse to a Document: what the located path (a file with a problem) costs.
    const text = fs.readFileSync(file, 'utf8');
    const parseTimes: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const t = process.hrtime.bigint();
      parseDocument(text, { lineCounter: new LineCounter(), uniqueKeys: true });
      parseTimes.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    const yamlMs = median(parseTimes);
    // Of which the yaml library's CST parser (lexer included), before its composer builds the Document.
    const cstTimes: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const t = process.hrtime.bigint();
      for (const token of new Parser().parse(text)) void token;
      cstTimes.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    const cstMs = median(cstTimes);
    const typicalFile = path.join(dir, 'typical.yaml');
    fs.writeFileSync(typicalFile, generateTypicalStack(SERVICES));
    const typical = median((await timeLoad(typicalFile, dir, env, ROUNDS + 1)).times.slice(1));
    const typicalBytes = fs.statSync(typicalFile).size;
    const peer = peerCommand();
    let peerMs: number | null = null;
    if (peer) {
      const pt: number[] = [];
      for (let r = 0; r < Math.min(ROUNDS, 5); r++) {
        const t = process.hrtime.bigint();
        execFileSync(peer.argv[0]!, [...peer.argv.slice(1), '-f', file, 'config', '-q'], {
          env: { ...process.env, ...env },
          stdio: 'ignore',
        });
        pt.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
      peerMs = Math.round(median(pt));
    }
    const peerNote = peer
      ? 'measured'
      : 'docker compose / docker-compose not installed on this machine (not measured)';
    const bytes = fs.statSync(file).size;
    console.log(`stack: ${SERVICES} services, ${(bytes / 1024).toFixed(0)} KiB of YAML, ${ROUNDS} rounds`);
    console.log('case                                   ms');
    console.log(`tsstack loadStack, first (cold JIT)  ${first.toFixed(1).padStart(8)}`);
    console.log(`tsstack loadStack, median            ${ours.toFixed(1).padStart(8)}`);
    console.log(`  its CPU time (process), median     ${oursCpu.toFixed(1).padStart(8)}`);
    console.log(
      `  of which js-yaml parseEvents       ${eventsMs.toFixed(1).padStart(8)}  (the fast path's parser)`,
    );
    console.log(
      `yaml parseDocument (located path)    ${yamlMs.toFixed(1).padStart(8)}  (only for a file with a problem)`,
    );
    console.log(`  of which its CST parser + lexer    ${cstMs.toFixed(1).padStart(8)}`);
    console.log(
      `${`typical stack (${(typicalBytes / 1024).toFixed(0)} KiB), median`.padEnd(36)} ${typical.toFixed(1).padStart(8)}`,
    );
    console.log(
      `${(peer?.name ?? 'docker compose config -q').padEnd(36)} ${peerMs === null ? '     n/a' : String(peerMs).padStart(8)}  ${peerNote}`,
    );
    console.log(
      JSON.stringify({
        services: count,
        ms: Math.round(ours),
        cpuMs: Math.round(oursCpu),
        firstMs: Math.round(first),
        jsYamlEventsMs: Math.round(eventsMs),
        yamlParseMs: Math.round(yamlMs),
        yamlCstMs: Math.round(cstMs),
        yamlBytes: bytes,
        typicalMs: Math.round(typical),
        typicalBytes,
        rounds: ROUNDS,
        peer: peer?.name ?? 'docker compose config -q',
        peerMs,
        peerNote,
      }),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
