// Unit tests: loadProject end to end from memory — normalization to the model, and a table of invalid files
// that must each fail with a located issue (line, field path, message).
import { DEFAULT_RESTART_POLICY, DEFAULT_UPDATE_CONFIG } from '@tsstack/model';
import { issuesOf, loadFrom, stackOf } from './spec-test-helpers';

describe('loadProject: normalization', () => {
  it('normalizes a web + db + cache stack to long syntax with Swarm defaults', async () => {
    const s = await stackOf(
      `
name: shop
services:
  web:
    image: nginx:1.25
    command: nginx -g "daemon off;"
    ports: ["8080:80", "127.0.0.1:9090:90/udp", {target: 443, published: 8443, mode: host}]
    volumes: ["./html:/usr/share/nginx/html:ro", "cache:/cache", "/anon"]
    depends_on: [db]
    environment: [A=1, B]
    healthcheck: {test: ["CMD", "curl", "-f", "http://localhost"], interval: 10s, start_period: 1m}
    deploy:
      replicas: 3
      update_config: {parallelism: 2, order: start-first}
      placement: {constraints: ["node.role == manager"], max_replicas_per_node: 1}
  db:
    image: postgres:16
    environment: {POSTGRES_PASSWORD_FILE: /run/secrets/pw}
    secrets: [pw, {source: pw, target: other, mode: 0400}]
    mem_limit: 1g
    cpus: 1.5
    pids_limit: 100
    stop_grace_period: 1m30s
    restart: on-failure:3
volumes:
  cache: {}
secrets:
  pw: {file: ./pw.txt}
`,
      { env: { B: 'from-shell' } },
      { 'pw.txt': 'hunter2' },
    );
    expect(s.name).toBe('shop');
    const web = s.services.web!;
    expect(web.command).toEqual(['nginx', '-g', 'daemon off;']);
    expect(web.ports).toEqual([
      { target: 80, published: 8080, protocol: 'tcp', mode: 'ingress' },
      { target: 90, published: 9090, protocol: 'udp', mode: 'host', hostIp: '127.0.0.1' },
      { target: 443, published: 8443, protocol: 'tcp', mode: 'host' },
    ]);
    expect(web.volumes).toEqual([
      {
        type: 'bind',
        source: '/proj/app/html',
        target: '/usr/share/nginx/html',
        readOnly: true,
        createHostPath: true,
      },
      { type: 'volume', source: 'cache', target: '/cache', readOnly: false },
      { type: 'volume', target: '/anon', readOnly: false },
    ]);
    expect(web.dependsOn).toEqual({ db: { condition: 'service_started', restart: false, required: true } });
    expect(web.environment).toEqual({ A: '1', B: 'from-shell' });
    expect(web.healthcheck).toEqual({
      test: ['CMD', 'curl', '-f', 'http://localhost'],
      intervalMs: 10_000,
      timeoutMs: 30_000,
      retries: 3,
      startPeriodMs: 60_000,
      startIntervalMs: 5000,
    });
    expect(web.deploy.replicas).toBe(3);
    expect(web.deploy.updateConfig).toEqual({
      ...DEFAULT_UPDATE_CONFIG,
      parallelism: 2,
      order: 'start-first',
    });
    expect(web.deploy.rollbackConfig).toEqual(DEFAULT_UPDATE_CONFIG);
    expect(web.deploy.restartPolicy).toEqual(DEFAULT_RESTART_POLICY);
    expect(web.deploy.placement).toEqual({
      constraints: ['node.role == manager'],
      preferences: [],
      maxReplicasPerNode: 1,
    });
    expect(web.networks).toEqual({ default: { aliases: [] } });
    const db = s.services.db!;
    expect(db.secrets).toEqual([
      { source: 'pw', target: '/run/secrets/pw', uid: '0', gid: '0', mode: 0o444 },
      { source: 'pw', target: '/run/secrets/other', uid: '0', gid: '0', mode: 0o400 },
    ]);
    expect(db.resources.limits).toEqual({ memoryBytes: 1024 ** 3, nanoCpus: 1.5e9, pids: 100 });
    expect(db.stopGracePeriodMs).toBe(90_000);
    expect(db.restart).toBe('on-failure');
    expect(db.deploy.restartPolicy).toEqual({
      ...DEFAULT_RESTART_POLICY,
      condition: 'on-failure',
      maxAttempts: 3,
    });
    expect(s.secrets.pw).toEqual({
      name: 'shop_pw',
      external: false,
      labels: {},
      content: Buffer.from('hunter2').toString('base64'),
    });
    expect(s.volumes.cache).toEqual({
      name: 'shop_cache',
      driver: 'local',
      external: false,
      labels: {},
      driverOpts: {},
    });
    expect(s.networks.default).toMatchObject({ name: 'shop_default', driver: 'overlay' });
  });

  it('interpolates from .env, the shell winning, and --env-file replacing .env', async () => {
    const files = {
      'compose.yaml':
        'services:\n  a:\n    image: "busybox:${TAG}"\n    environment: {X: "${X:-dx}", Y: $$Y}\n',
      '.env': 'TAG=1.36\nX=from-dotenv\n',
      'other.env': 'TAG=2\n',
    };
    const a = (await loadFrom(files)).stack.services.a!;
    expect(a.image).toBe('busybox:1.36');
    expect(a.environment).toEqual({ X: 'from-dotenv', Y: '$Y' });
    expect((await loadFrom(files, { env: { TAG: 'shell' } })).stack.services.a!.image).toBe('busybox:shell');
    expect((await loadFrom(files, { envFiles: ['other.env'] })).stack.services.a!.image).toBe('busybox:2');
  });

  it('reads env_file with required: false and raw format; environment wins', async () => {
    const s = await stackOf(
      'services:\n  a:\n    image: x\n    env_file: [a.env, {path: missing.env, required: false}, {path: raw.env, format: raw}]\n    environment: {B: over}\n',
      {},
      { 'a.env': 'A=1\nB=2\n', 'raw.env': 'R="quoted $x"\n' },
    );
    expect(s.services.a!.environment).toEqual({ A: '1', B: 'over', R: '"quoted $x"' });
  });

  it('merges -f files by Compose rules with !reset and !override', async () => {
    const base = `
services:
  web:
    image: web:1
    ports: ["80:80"]
    volumes: ["data:/data", "/logs"]
    environment: [A=1, B=2]
    command: [a, b]
    dns: [1.1.1.1]
    labels: {x: "1"}
volumes:
  data: {}
  other: {}
`;
    const over = `
services:
  web:
    image: web:2
    ports: ["443:443"]
    volumes: ["other:/data"]
    environment: {B: "3", C: "4"}
    command: [c]
    dns: !reset []
    labels: !override {y: "2"}
`;
    const s = (
      await loadFrom({ 'compose.yaml': base, 'over.yaml': over }, { files: ['compose.yaml', 'over.yaml'] })
    ).stack;
    const w = s.services.web!;
    expect(w.image).toBe('web:2');
    expect(w.ports.map((p) => p.published)).toEqual([80, 443]);
    expect(w.volumes).toEqual([
      { type: 'volume', source: 'other', target: '/data', readOnly: false },
      { type: 'volume', target: '/logs', readOnly: false },
    ]);
    expect(w.environment).toEqual({ A: '1', B: '3', C: '4' });
    expect(w.command).toEqual(['c']);
    expect(w.dns).toEqual([]);
    expect(w.labels).toEqual({ y: '2' });
  });

  it('reads compose.override.yaml beside the default file', async () => {
    const s = (
      await loadFrom({
        'compose.yaml': 'services:\n  a: {image: x}\n',
        'compose.override.yaml': 'services:\n  a: {image: y}\n',
      })
    ).stack;
    expect(s.services.a!.image).toBe('y');
  });

  it('resolves extends in the same file and in another file, recursively', async () => {
    const s = await stackOf(
      `
services:
  base: {image: base, environment: {A: "1"}, cap_add: [NET_ADMIN]}
  mid: {extends: base, environment: {B: "2"}}
  top: {extends: {service: mid}, image: top}
  far: {extends: {file: common/other.yaml, service: tmpl}}
`,
      {},
      {
        'common/other.yaml': 'services:\n  tmpl:\n    image: tmpl\n    env_file: t.env\n',
        'common/t.env': 'T=1\n',
      },
    );
    expect(s.services.top).toMatchObject({
      image: 'top',
      environment: { A: '1', B: '2' },
      capAdd: ['NET_ADMIN'],
    });
    expect(s.services.far).toMatchObject({ image: 'tmpl', environment: { T: '1' } });
  });

  it('includes other files as their own projects', async () => {
    const s = await stackOf(
      'include: [sub/compose.yaml]\nservices:\n  a: {image: a, depends_on: [b]}\n',
      {},
      {
        'sub/compose.yaml': 'services:\n  b: {image: "b:${V}"}\n',
        'sub/.env': 'V=7\n',
      },
    );
    expect(s.services.b!.image).toBe('b:7');
  });

  it('enables services by --profile and COMPOSE_PROFILES', async () => {
    const yaml =
      'services:\n  a: {image: a}\n  dbg: {image: d, profiles: [debug]}\n  t: {image: t, profiles: [test]}\n';
    const all = await loadFrom({ 'compose.yaml': yaml });
    expect(Object.keys(all.stack.services)).toEqual(['a']);
    expect(all.profiles).toEqual(['debug', 'test']);
    expect(Object.keys((await stackOf(yaml, { profiles: ['debug'] })).services)).toEqual(['a', 'dbg']);
    expect(Object.keys((await stackOf(yaml, { env: { COMPOSE_PROFILES: 'test,debug' } })).services)).toEqual([
      'a',
      'dbg',
      't',
    ]);
    expect(Object.keys((await stackOf(yaml, { profiles: ['*'] })).services)).toHaveLength(3);
  });

  it('names the project: -p, COMPOSE_PROJECT_NAME, name:, directory', async () => {
    const yaml = 'name: fromfile\nservices:\n  a: {image: a}\n';
    expect((await stackOf(yaml, { projectName: 'cli' })).name).toBe('cli');
    expect((await stackOf(yaml, { env: { COMPOSE_PROJECT_NAME: 'envname' } })).name).toBe('envname');
    expect((await stackOf(yaml)).name).toBe('fromfile');
    expect(
      (
        await loadFrom(
          { '/x/My_App.Dir/compose.yaml': 'services:\n  a: {image: a}\n' },
          { cwd: '/x/My_App.Dir' },
        )
      ).stack.name,
    ).toBe('my-app-dir');
  });

  it('Compose casts interpolated strings: replicas "3", privileged "yes"', async () => {
    const s = await stackOf(
      'services:\n  a:\n    image: a\n    privileged: ${P}\n    deploy: {replicas: "${R}"}\n',
      { env: { P: 'yes', R: '3' } },
    );
    expect(s.services.a!.privileged).toBe(true);
    expect(s.services.a!.deploy.replicas).toBe(3);
  });

  it('honours what Swarm ignores: top-level limits, devices, privileged, ipv4_address', async () => {
    const s = await stackOf(`
services:
  a:
    image: a
    privileged: true
    devices: ["/dev/fuse"]
    mem_reservation: 64m
    networks: {back: {ipv4_address: 10.9.0.5, aliases: [api]}}
networks:
  back: {driver: bridge, ipam: {config: [{subnet: 10.9.0.0/24}]}}
`);
    expect(s.services.a!.devices).toEqual([{ source: '/dev/fuse', target: '/dev/fuse', permissions: 'rwm' }]);
    expect(s.services.a!.resources.reservations.memoryBytes).toBe(64 * 1024 ** 2);
    expect(s.services.a!.networks).toEqual({ back: { aliases: ['api'], ipv4Address: '10.9.0.5' } });
    expect(s.networks.default).toBeUndefined();
  });

  it('network_mode host/none and pid: host reach the model without the default network', async () => {
    const s = await stackOf(
      `
services:
  a: {image: a, network_mode: host, pid: host, ports: ["80:80"]}
  b: {image: b, network_mode: "\${MODE}"}
  c: {image: c}
`,
      { env: { MODE: 'none' } },
    );
    expect(s.services.a!.networkMode).toBe('host');
    expect(s.services.a!.pidMode).toBe('host');
    expect(s.services.a!.networks).toEqual({});
    expect(s.services.b!.networkMode).toBe('none');
    expect(s.services.b!.pidMode).toBeUndefined();
    expect(s.services.b!.networks).toEqual({});
    expect(s.services.c!.networkMode).toBeUndefined();
    expect(s.services.c!.networks).toEqual({ default: { aliases: [] } });
  });
});

describe('loadProject: invalid files are refused at their place', () => {
  const cases: Array<[string, string, number | undefined, RegExp]> = [
    [
      'unknown service field',
      'services:\n  a:\n    image: a\n    imgae: b\n',
      4,
      /unknown field "imgae" \(did you mean "image"\?\)/,
    ],
    [
      'unsupported service field',
      'services:\n  a:\n    image: a\n    ipc: host\n',
      4,
      /"ipc" is not supported by tsstack yet/,
    ],
    [
      'network_mode service:x',
      'services:\n  a:\n    image: a\n    network_mode: "service:b"\n  b: {image: b}\n',
      4,
      /network_mode "service:b" is not supported by tsstack yet \(use host, none, or networks:\)/,
    ],
    [
      'network_mode with networks',
      'services:\n  a:\n    image: a\n    network_mode: host\n    networks: [n]\nnetworks:\n  n: {}\n',
      4,
      /cannot be combined with networks/,
    ],
    [
      'network_mode none with ports',
      'services:\n  a:\n    image: a\n    network_mode: none\n    ports: ["80:80"]\n',
      5,
      /no network to publish ports on/,
    ],
    ['pid other than host', 'services:\n  a:\n    image: a\n    pid: "service:b"\n', 4, /only pid: host/],
    ['unknown top-level section', 'services:\n  a: {image: a}\nnetwork: {}\n', 3, /did you mean "networks"/],
    ['service name not a DNS label', 'services:\n  My_Web: {image: a}\n', 2, /must be a DNS label/],
    ['no image nor build', 'services:\n  a: {command: x}\n', 2, /needs image: or build:/],
    [
      'depends_on cycle',
      'services:\n  a: {image: a, depends_on: [b]}\n  b: {image: b, depends_on: [c]}\n  c: {image: c, depends_on: [a]}\n',
      undefined,
      /depends_on cycle: a -> b -> c -> a/,
    ],
    [
      'depends_on undefined',
      'services:\n  a: {image: a, depends_on: [nope]}\n',
      2,
      /undefined service "nope"/,
    ],
    [
      'undefined network',
      'services:\n  a:\n    image: a\n    networks: [front]\n',
      4,
      /network "front", which is not defined/,
    ],
    [
      'undefined volume',
      'services:\n  a:\n    image: a\n    volumes: ["data:/data"]\n',
      4,
      /volume "data", which is not defined/,
    ],
    [
      'undefined secret',
      'services:\n  a:\n    image: a\n    secrets: [pw]\n',
      4,
      /secret "pw", which is not defined/,
    ],
    ['bad port', 'services:\n  a:\n    image: a\n    ports: ["80:99999"]\n', 4, /out of range/],
    ['bad protocol', 'services:\n  a:\n    image: a\n    ports: ["80:80/sctp"]\n', 4, /protocol "sctp"/],
    [
      'conflicting published ports',
      'services:\n  a: {image: a, ports: ["80:80"]}\n  b:\n    image: b\n    ports: ["80:8080"]\n',
      5,
      /published port 80\/tcp is already published by service "a"/,
    ],
    ['bad duration', 'services:\n  a:\n    image: a\n    stop_grace_period: 10\n', 4, /duration/],
    ['bad byte size', 'services:\n  a:\n    image: a\n    mem_limit: 12x\n', 4, /invalid byte size "12x"/],
    [
      'bad deploy mode',
      'services:\n  a:\n    image: a\n    deploy:\n      mode: everywhere\n',
      5,
      /replicated, global, replicated-job, global-job/,
    ],
    [
      'replicas with global',
      'services:\n  a:\n    image: a\n    deploy: {mode: global, replicas: 2}\n',
      4,
      /replicas cannot be set with mode: global/,
    ],
    [
      'bad constraint',
      'services:\n  a:\n    image: a\n    deploy:\n      placement:\n        constraints: ["node.rol = manager"]\n',
      6,
      /invalid constraint/,
    ],
    [
      'bad failure_action',
      'services:\n  a:\n    image: a\n    deploy: {update_config: {failure_action: explode}}\n',
      4,
      /pause, continue, rollback/,
    ],
    [
      'bad max_failure_ratio',
      'services:\n  a:\n    image: a\n    deploy: {update_config: {max_failure_ratio: 2}}\n',
      4,
      /ratio between 0 and 1/,
    ],
    [
      'unknown deploy field',
      'services:\n  a:\n    image: a\n    deploy: {replica: 2}\n',
      4,
      /did you mean "replicas"/,
    ],
    [
      'required variable',
      'services:\n  a:\n    image: "${IMG:?set IMG}"\n',
      3,
      /required variable IMG is missing a value: set IMG/,
    ],
    ['bad interpolation', 'services:\n  a:\n    image: "${IMG"\n', 3, /invalid interpolation format/],
    ['duplicate key', 'services:\n  a: {image: a}\n  a: {image: b}\n', 3, /duplicate key/],
    [
      'bad healthcheck test',
      'services:\n  a:\n    image: a\n    healthcheck: {test: [curl, x]}\n',
      4,
      /starts with "CMD"/,
    ],
    [
      'mem_limit contradicts deploy',
      'services:\n  a:\n    image: a\n    mem_limit: 1g\n    deploy: {resources: {limits: {memory: 2g}}}\n',
      4,
      /contradicts/,
    ],
    [
      'ipv4 outside subnet',
      'services:\n  a:\n    image: a\n    networks: {n: {ipv4_address: 10.1.0.5}}\nnetworks:\n  n: {ipam: {config: [{subnet: 10.2.0.0/24}]}}\n',
      4,
      /outside the subnets/,
    ],
    [
      'unsupported network driver',
      'services:\n  a: {image: a}\nnetworks:\n  n: {driver: macvlan}\n',
      4,
      /bridge or overlay/,
    ],
    [
      'extends cycle',
      'services:\n  a: {image: a, extends: b}\n  b: {image: b, extends: a}\n',
      2,
      /extends cycle/,
    ],
    ['extends missing', 'services:\n  a: {extends: nope}\n', 2, /service "nope" is not defined/],
    [
      'disabled dependency',
      'services:\n  a: {image: a, depends_on: [b]}\n  b: {image: b, profiles: [x]}\n',
      2,
      /disabled: enable one of its profiles \(x\)/,
    ],
    [
      'bad project name',
      'name: My_Project\nservices:\n  a: {image: a}\n',
      1,
      /project name "My_Project" must be a DNS label/,
    ],
    ['bad bool', 'services:\n  a:\n    image: a\n    privileged: maybe\n', 4, /true or false|boolean/],
    [
      'config without source',
      'services:\n  a: {image: a}\nconfigs:\n  c: {}\n',
      4,
      /needs exactly one of file:, environment:, content:/,
    ],
    [
      'missing config file',
      'services:\n  a: {image: a}\nconfigs:\n  c: {file: ./nope.txt}\n',
      4,
      /not found/,
    ],
    [
      'missing env_file',
      'services:\n  a:\n    image: a\n    env_file: nope.env\n',
      4,
      /env file \/proj\/app\/nope.env not found/,
    ],
    [
      'bad volume option',
      'services:\n  a:\n    image: a\n    volumes: ["/x:/y:rx"]\n',
      4,
      /unknown option "rx"/,
    ],
    [
      'relative container path',
      'services:\n  a:\n    image: a\n    volumes: ["/x:y"]\n',
      4,
      /must be absolute/,
    ],
    [
      'unsupported port field',
      'services:\n  a:\n    image: a\n    ports: [{target: 80, app_protocol: http}]\n',
      4,
      /"app_protocol" is not supported/,
    ],
    ['bad restart', 'services:\n  a:\n    image: a\n    restart: sometimes\n', 4, /use no, always/],
    ['no services', 'services: {}\n', 1, /defines no service/],
    ['unknown tag', 'services:\n  a: !weird {image: a}\n', 2, /unknown tag !weird/],
  ];
  it.each(cases)('%s', async (_name, yaml, line, message) => {
    const issues = await issuesOf(yaml);
    const hit = issues.find((i) => message.test(i.message));
    if (!hit)
      throw new Error(`no issue matching ${message}; got:\n${issues.map((i) => i.message).join('\n')}`);
    expect(hit.file).toBe('/proj/app/compose.yaml');
    if (line !== undefined) expect(hit.line).toBe(line);
    if (hit.line) expect(hit.excerpt).toMatch(/\n *\| *\^$/);
  });

  it('reports every problem at once', async () => {
    const issues = await issuesOf(
      'services:\n  a:\n    image: a\n    imgae: x\n    ports: ["0:0"]\n    mem_limit: lots\n',
    );
    expect(issues.length).toBeGreaterThanOrEqual(3);
  });

  it('refuses a file above the size bound', async () => {
    const big = 'x-pad: "' + 'a'.repeat(11 * 1024 * 1024) + '"\n';
    const issues = await issuesOf(big);
    expect(issues[0]!.message).toMatch(/above tsstack's limit/);
  });

  it('refuses a missing -f file as a usage problem', async () => {
    await expect(loadFrom({ 'compose.yaml': 'services: {}' }, { files: ['nope.yaml'] })).rejects.toThrow(
      /-f nope.yaml: no such file/,
    );
  });
});

describe('loadProject: include and extends edge cases', () => {
  it('refuses an included service that clashes with the including file', async () => {
    const issues = await issuesOf(
      'include: [sub.yaml]\nservices:\n  a: {image: a}\n',
      {},
      { 'sub.yaml': 'services:\n  a: {image: b}\n' },
    );
    expect(issues[0]!.message).toMatch(/services.a is defined both here and in included file/);
  });

  it('refuses an include cycle', async () => {
    const issues = await issuesOf(
      'include: [b.yaml]\nservices:\n  a: {image: a}\n',
      {},
      { 'b.yaml': 'include: [compose.yaml]\nservices:\n  b: {image: b}\n' },
    );
    expect(issues.some((i) => /include cycle/.test(i.message))).toBe(true);
  });

  it('an extends from another file that does not exist is located at the extends', async () => {
    const issues = await issuesOf('services:\n  a:\n    extends: {file: nope.yaml, service: x}\n');
    expect(issues.map((i) => i.line)).toContain(3);
  });
});

describe('loadProject: published ports', () => {
  it('lets host-mode ports of different services share a number (scheduled apart), not within one service', async () => {
    const ok = await stackOf(
      'services:\n  a: {image: a, ports: [{target: 80, published: 80, mode: host}]}\n  b: {image: b, ports: [{target: 80, published: 80, mode: host}]}\n',
    );
    expect(Object.keys(ok.services)).toEqual(['a', 'b']);
    const issues = await issuesOf(
      'services:\n  a:\n    image: a\n    ports: [{target: 80, published: 80, mode: host}, {target: 81, published: 80, mode: host}]\n',
    );
    expect(issues[0]!.message).toMatch(/already published by service "a"/);
  });
});
