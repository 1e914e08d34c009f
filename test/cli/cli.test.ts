// Integration: the real `node bin/tsstack.js` binary (needs `npm run build:ts`) against a loopback HTTP
// server that speaks the REST contract, plus the embedded control plane's status/stop on a per-test data dir.
// What it checks: exit codes (0, 1 unreachable, 2 usage/spec), --json parses, the token is sent, tables.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { WebSocketServer } from 'ws';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'tsstack.js');
const MAIN = path.join(ROOT, 'dist', 'apps', 'cli', 'src', 'main.js');

interface Seen {
  method: string;
  url: string;
  auth?: string;
  body: string;
}

/** Runs the binary asynchronously: the REST stand-in lives in this process, so its loop must stay free. */
function run(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, TSSTACK_HOST: '', TSSTACK_TOKEN: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('tsstack CLI binary', () => {
  let server: http.Server;
  let wss: WebSocketServer;
  let url = '';
  const seen: Seen[] = [];
  let dataDir = '';

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} missing: run \`npm run build:ts\` before this test`);
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body });
        const send = (status: number, v: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(v));
        };
        if (req.headers.authorization !== 'Bearer sekrit') {
          return send(401, { error: { code: 'UNAUTHORIZED', message: 'bad token' } });
        }
        if (req.url?.startsWith('/v1/tasks')) {
          return send(200, [
            {
              service: 'web',
              task: 't1abcdefabcdefab',
              slot: 1,
              node: 'n1',
              state: 'running',
              desiredState: 'running',
              containerId: 'c0ffee',
            },
            {
              service: 'web',
              task: 't2',
              slot: 2,
              node: 'n1',
              state: 'failed',
              desiredState: 'shutdown',
              exitCode: 2,
              error: 'boom',
            },
          ]);
        }
        if (req.url === '/v1/services/hello/web/logs?tail=2') {
          res.writeHead(200, { 'content-type': 'application/x-ndjson' });
          res.write(
            JSON.stringify({ task: 't1abcdefabcdefab', stream: 'stdout', time: 'x', line: 'one' }) + '\n',
          );
          setTimeout(
            () => res.end(JSON.stringify({ task: 't2', stream: 'stderr', time: 'y', line: 'two' }) + '\n'),
            50,
          );
          return;
        }
        if (req.url === '/v1/nodes/n1' && req.method === 'PATCH') return send(200, {});
        if (req.url === '/v1/stacks' && req.method === 'GET')
          return send(200, [{ name: 'hello', version: 3, services: 1 }]);
        if (req.url === '/v1/stacks/hello?volumes=true' && req.method === 'DELETE') return send(200, {});
        if (req.url === '/v1/services/hello/web/scale') return send(200, {});
        if (req.url === '/v1/services/hello/web/rollback' || req.url === '/v1/services/hello/web/restart')
          return send(200, {});
        if (req.url === '/v1/services/hello/nope/scale')
          return send(404, { error: { code: 'NOT_FOUND', message: 'no service nope' } });
        return send(404, { error: { code: 'NOT_FOUND', message: `no route ${req.url}` } });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // /v1/events: two events for an authorized client, then the server closes the stream.
    wss = new WebSocketServer({ noServer: true });
    server.on('upgrade', (req, socket, head) => {
      if (req.headers.authorization !== 'Bearer sekrit' || !req.url?.startsWith('/v1/events?stack=hello')) {
        socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.send(
          JSON.stringify({
            id: '1',
            time: 0,
            type: 'task.state',
            stack: 'hello',
            service: 'web',
            task: 't1',
            from: 'starting',
            to: 'running',
          }),
        );
        ws.send(
          JSON.stringify({ id: '2', time: 1000, type: 'service.converged', stack: 'hello', service: 'web' }),
        );
        ws.close();
      });
    });
  });
  afterAll(async () => {
    wss.close();
    await new Promise<void>((r) => server.close(() => r()));
  });
  beforeEach(() => {
    seen.length = 0;
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'tsstack-cli-'));
  });
  afterEach(async () => {
    // Never leave a daemon behind, even when a test failed half-way.
    await run(['system', 'stop'], { TSSTACK_DATA_DIR: dataDir });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints its version and exits 2 on usage errors', async () => {
    expect(await run(['version'])).toMatchObject({ code: 0, stdout: 'tsstack 0.1.0\n' });
    expect((await run(['ps', '--no-such-flag'])).code).toBe(2);
    expect((await run(['ps', '--context', url, '--format', 'yaml'], { TSSTACK_TOKEN: 'sekrit' })).code).toBe(
      2,
    );
  });

  it('says how to start a controller when none answers (exit 1)', async () => {
    const r = await run(['ps'], { TSSTACK_HOST: 'http://127.0.0.1:1', TSSTACK_DATA_DIR: dataDir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('controller unreachable at http://127.0.0.1:1: start it with `tsstack up`');
  });

  it('ps sends the token from the data dir and prints a table or JSON', async () => {
    mkdirSync(path.join(dataDir, 'controller'), { recursive: true });
    writeFileSync(path.join(dataDir, 'controller', 'token'), 'sekrit\n', { mode: 0o600 });
    const table = await run(['ps', '-p', 'hello', '-a', '--context', url], { TSSTACK_DATA_DIR: dataDir });
    expect(table.code).toBe(0);
    expect(seen[0]).toMatchObject({
      method: 'GET',
      url: '/v1/tasks?stack=hello&all=1',
      auth: 'Bearer sekrit',
    });
    expect(table.stdout.split('\n')[1]).toMatch(/^web\s+t1abcdefabcd\s+1\s+n1\s+running\s+running\s+c0ffee/);
    const json = await run(['--context', url, 'ps', '--format', 'json'], { TSSTACK_TOKEN: 'sekrit' });
    expect(json.code).toBe(0);
    const rows = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    expect(rows.map((r) => [r.service, r.task, r.state, r.exitCode])).toEqual([
      ['web', 't1abcdefabcdefab', 'running', undefined],
      ['web', 't2', 'failed', 2],
    ]);
  });

  it('maps a 401 to exit 1 with the server message', async () => {
    const r = await run(['stack', 'ls', '--context', url], { TSSTACK_TOKEN: 'wrong' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('bad token (HTTP 401 UNAUTHORIZED)');
  });

  it('stack ls --json, down -v and scale talk the REST contract', async () => {
    const env = { TSSTACK_HOST: url, TSSTACK_TOKEN: 'sekrit' };
    expect(JSON.parse((await run(['stack', 'ls', '--json'], env)).stdout)).toEqual([
      { name: 'hello', version: 3, services: 1 },
    ]);
    expect(await run(['down', '-p', 'hello', '-v'], env)).toMatchObject({
      code: 0,
      stdout: 'removed stack hello\n',
    });
    expect(seen.at(-1)).toMatchObject({ method: 'DELETE', url: '/v1/stacks/hello?volumes=true' });
    expect((await run(['scale', '-p', 'hello', 'web=5'], env)).code).toBe(0);
    expect(JSON.parse(seen.at(-1)!.body)).toEqual({ replicas: 5 });
    expect((await run(['scale', '-p', 'hello', 'web'], env)).code).toBe(2);
    const missing = await run(['scale', '-p', 'hello', 'nope=1'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no service nope');
  });

  it('system status shows a live daemon from its pid file and system stop ends it', async () => {
    // A stand-in daemon in its own session, registered the way `up` registers the controller.
    const child = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
    child.unref();
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      mkdirSync(path.join(dataDir, 'system'), { recursive: true });
      writeFileSync(path.join(dataDir, 'system', 'controller.pid'), `${child.pid}\n`);
      const st = await run(['system', 'status', '--json'], { TSSTACK_DATA_DIR: dataDir });
      expect(st.code).toBe(0);
      const parsed = JSON.parse(st.stdout) as Record<string, { pid: number | null }>;
      expect(parsed.controller!.pid).toBe(child.pid);
      expect(parsed.agent!.pid).toBeNull();
      expect(parsed.redis!.pid).toBeNull();
      expect(await run(['system', 'stop'], { TSSTACK_DATA_DIR: dataDir })).toMatchObject({
        code: 0,
        stdout: 'stopped controller\n',
      });
      await exited;
      expect(existsSync(path.join(dataDir, 'system', 'controller.pid'))).toBe(false);
      expect((await run(['system', 'stop'], { TSSTACK_DATA_DIR: dataDir })).stdout).toBe(
        'nothing was running\n',
      );
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  it('examples/build-images.sh imports the hello image offline into the store', async () => {
    const store = path.join(dataDir, 'images');
    const built = await new Promise<Result>((resolve, reject) => {
      const child = spawn('bash', [path.join(ROOT, 'examples', 'build-images.sh')], {
        env: { ...process.env, TSSTACK_IMAGE_ROOT: store },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(built.stderr).toBe('');
    expect(built.code).toBe(0);
    const ls = await run(['image', 'ls'], { TSSTACK_IMAGE_ROOT: store });
    expect(ls.stdout).toMatch(/^tsstack\.local\/hello:1\s+[0-9a-f]{12}/m);
  });

  it('logs prints the NDJSON stream line by line', async () => {
    const r = await run(['logs', '-p', 'hello', 'web', '--tail', '2'], {
      TSSTACK_HOST: url,
      TSSTACK_TOKEN: 'sekrit',
    });
    expect(r).toMatchObject({ code: 0, stdout: 't1abcdefabcd | one\nt2 | two\n' });
  });

  it('completion bash is a script bash accepts and completes subcommands with', async () => {
    const script = (await run(['completion', 'bash'])).stdout;
    const file = path.join(dataDir, 'completion.bash');
    writeFileSync(file, script);
    const probe = await new Promise<Result>((resolve) => {
      const child = spawn(
        'bash',
        [
          '-c',
          `source ${file}; COMP_WORDS=(tsstack stack l); COMP_CWORD=2; _tsstack; echo "\${COMPREPLY[*]}"`,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(probe).toMatchObject({ code: 0, stdout: 'ls\n', stderr: '' });
    expect((await run(['completion', 'fish'])).code).toBe(2);
  });

  it('events streams the WebSocket as text or JSON lines', async () => {
    const env = { TSSTACK_HOST: url, TSSTACK_TOKEN: 'sekrit' };
    const text = await run(['events', '-p', 'hello'], env);
    expect(text).toMatchObject({
      code: 0,
      stdout:
        '1970-01-01T00:00:00.000Z task.state hello/web/t1 starting->running\n' +
        '1970-01-01T00:00:01.000Z service.converged hello/web\n',
    });
    const json = await run(['events', '-p', 'hello', '--json'], env);
    expect(
      json.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { id: string }).id),
    ).toEqual(['1', '2']);
    const denied = await run(['events', '-p', 'hello'], { TSSTACK_HOST: url, TSSTACK_TOKEN: 'no' });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('the controller refused /v1/events: check TSSTACK_TOKEN');
  });

  it('service rollback and restart POST to the service, a bad reference is exit 2', async () => {
    const env = { TSSTACK_HOST: url, TSSTACK_TOKEN: 'sekrit' };
    expect(await run(['service', 'rollback', 'hello/web'], env)).toMatchObject({
      code: 0,
      stdout: 'web rollback started\n',
    });
    expect(seen.at(-1)).toMatchObject({ method: 'POST', url: '/v1/services/hello/web/rollback' });
    expect(await run(['restart', '-p', 'hello', 'web'], env)).toMatchObject({
      code: 0,
      stdout: 'web restart started\n',
    });
    expect(seen.at(-1)).toMatchObject({ method: 'POST', url: '/v1/services/hello/web/restart' });
    expect((await run(['service', 'rollback', 'web'], env)).code).toBe(2);
  });

  it('node update sends availability and labels as a PATCH, bad values are exit 2', async () => {
    const env = { TSSTACK_HOST: url, TSSTACK_TOKEN: 'sekrit' };
    const r = await run(
      ['node', 'update', 'n1', '--availability', 'drain', '--label-add', 'zone=a', '--label-rm', 'old'],
      env,
    );
    expect(r).toMatchObject({ code: 0, stdout: 'updated node n1\n' });
    expect(seen.at(-1)).toMatchObject({ method: 'PATCH', url: '/v1/nodes/n1' });
    expect(JSON.parse(seen.at(-1)!.body)).toEqual({
      availability: 'drain',
      labelAdd: { zone: 'a' },
      labelRm: ['old'],
    });
    expect((await run(['node', 'update', 'n1', '--availability', 'gone'], env)).code).toBe(2);
  });
});
