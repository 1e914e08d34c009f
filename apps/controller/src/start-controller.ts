// startController: the whole controller in one call. Starts (or adopts) the owned redis-server when no Redis
// URL is given, loads or creates the shared API and join tokens (written to <dataDir>/controller, 0600),
// builds the store, dispatcher, engine and gateways, then the Nest REST app with /v1/agent, /v1/events,
// /v1/exec and /v1/run upgraded on the same port. close() stops everything it started, the owned redis-server last.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { Server } from 'node:http';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import pino from 'pino';
import { StateStore, connectRedis, startRedisServer, type RedisServerHandle } from '@tsstack/store';
import { parseConfig, type ControllerOptions } from './config/controller-config';
import { ControllerMetrics } from './api/controller-metrics';
import { AgentDispatcher } from './dispatch/agent-dispatcher';
import { RequestRouter } from './dispatch/request-router';
import { ClusterEngine } from './reconcile/cluster-engine';
import { EventsGateway, filterFromQuery } from './gateway/events.gateway';
import { ExecGateway } from './gateway/exec.gateway';
import { RunGateway } from './gateway/run.gateway';
import { StackService } from './domain/stack.service';
import { ServiceOps } from './domain/service-ops.service';
import { NodeOps } from './domain/node-ops.service';
import { VolumeOps } from './domain/volume-ops.service';
import { ControllerModule } from './api/controller.module';
import { NODES, RUNTIME, SERVICES, STACKS, STORE, VOLUMES, type ControllerRuntime } from './api/deps';
import { ApiErrorFilter } from './api/api-error.filter';
import { authMiddleware, refuseUpgrade, tokenOk } from './api/http-auth';

export interface ControllerHandle {
  url: string;
  token: string;
  joinToken: string;
  /** True while this controller holds the reconcile lease. */
  isLeader(): boolean;
  close(): Promise<void>;
  /** Tests: stop like a crash (the lease is not released, it expires). */
  crash(): Promise<void>;
}

async function writeSecretFile(file: string, value: string): Promise<void> {
  await fs.writeFile(file, value + '\n', { mode: 0o600 });
  await fs.chmod(file, 0o600);
}

export async function startController(opts: ControllerOptions): Promise<ControllerHandle> {
  const cfg = parseConfig(opts);
  // Logs go to stderr: stdout stays for what the command prints.
  const log = pino({ name: 'tsstack-controller', level: cfg.logLevel }, pino.destination(2));
  const ctlDir = path.join(cfg.dataDir, 'controller');
  await fs.mkdir(ctlDir, { recursive: true, mode: 0o700 });
  const cleanups: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const c of cleanups.splice(0).reverse()) {
      const t0 = Date.now();
      await c().catch((err: Error) => log.warn({ err: err.message }, 'close step failed'));
      log.debug({ ms: Date.now() - t0, step: c.toString().slice(0, 60) }, 'closed');
    }
  };
  try {
    let redisUrl = cfg.redisUrl;
    let owned: RedisServerHandle | undefined;
    if (!redisUrl) {
      owned = await startRedisServer(path.join(cfg.dataDir, 'redis'));
      const o = owned;
      cleanups.push(() => o.stop());
      // A process that ends without close() (a test runner, an uncaught error) does not leave it behind;
      // a SIGKILLed controller does, and the next start adopts it.
      const onExit = () => {
        try {
          process.kill(o.pid, 'SIGTERM');
        } catch {
          // already gone
        }
      };
      process.once('exit', onExit);
      cleanups.push(async () => void process.removeListener('exit', onExit));
      redisUrl = owned.url;
      // `tsstack system status|stop` find the owned redis-server here.
      const sysDir = path.join(cfg.dataDir, 'system');
      await fs.mkdir(sysDir, { recursive: true, mode: 0o700 });
      const pidFile = path.join(sysDir, 'redis.pid');
      await fs.writeFile(pidFile, `${o.pid}\n`, { mode: 0o600 });
      cleanups.push(() => fs.rm(pidFile, { force: true }));
    }
    const redis = await connectRedis(redisUrl);
    cleanups.push(async () => redis.disconnect());
    const store = new StateStore(redis, { prefix: cfg.redisPrefix });
    const token = await store.ensureSecret('apiToken', `tsk_${randomBytes(24).toString('hex')}`);
    const joinToken = await store.ensureSecret('joinToken', `tsj_${randomBytes(24).toString('hex')}`);
    await writeSecretFile(path.join(ctlDir, 'token'), token);
    await writeSecretFile(path.join(ctlDir, 'join-token'), joinToken);

    const policy = { policy: cfg.policy, protectedPaths: [cfg.dataDir] };
    const metrics = new ControllerMetrics();
    const dispatcher = new AgentDispatcher(store, cfg, () => joinToken, log, metrics);
    const engine = new ClusterEngine(store, cfg, log, metrics, dispatcher);
    dispatcher.onChange = () => engine.kick();
    dispatcher.controllerId = engine.controllerId;
    const router = new RequestRouter(store, dispatcher, engine.controllerId, log);
    await router.start();
    cleanups.push(async () => router.close());
    const events = new EventsGateway(store, log, metrics, cfg.eventsSlowClientBytes);
    const exec = new ExecGateway(store, router);
    const oneOff = new RunGateway(store, router);
    const runtime: ControllerRuntime = {
      store,
      engine,
      dispatcher,
      router,
      metrics,
      joinToken: () => joinToken,
      redisUp: () => redis.status === 'ready',
    };

    const app = await NestFactory.create<NestExpressApplication>(
      ControllerModule.with([
        { provide: STORE, useValue: store },
        { provide: STACKS, useValue: new StackService(store, policy) },
        { provide: SERVICES, useValue: new ServiceOps(store, policy) },
        { provide: NODES, useValue: new NodeOps(store) },
        { provide: VOLUMES, useValue: new VolumeOps(store, router) },
        { provide: RUNTIME, useValue: runtime },
      ]),
      { logger: false, bodyParser: false },
    );
    cleanups.push(() => app.close());
    app.useBodyParser('json', { limit: '64mb' });
    app.use(authMiddleware(() => token));
    app.useGlobalFilters(new ApiErrorFilter(log));
    await mountOpenApi(app);
    await app.init();
    const server = app.getHttpServer() as Server;
    server.on('upgrade', (req, socket, head) => {
      const u = new URL(req.url ?? '/', 'http://x');
      const p = u.pathname.replace(/\/+$/, '');
      if (p === '/v1/agent' || p === '/agent') {
        dispatcher.wss.handleUpgrade(req, socket, head, (ws) => dispatcher.wss.emit('connection', ws, req));
        return;
      }
      if (p !== '/v1/events' && p !== '/v1/exec' && p !== '/v1/run') return refuseUpgrade(socket, 404, 'Not Found'); // prettier-ignore
      if (!tokenOk(req, token)) return refuseUpgrade(socket, 401, 'Unauthorized');
      if (p === '/v1/events') {
        events.wss.handleUpgrade(req, socket, head, (ws) =>
          events.handle(ws, filterFromQuery(u.searchParams)),
        );
      } else if (p === '/v1/run') {
        oneOff.wss.handleUpgrade(req, socket, head, (ws) => oneOff.handle(ws, u.searchParams));
      } else {
        exec.wss.handleUpgrade(req, socket, head, (ws) => exec.handle(ws, u.searchParams));
      }
    });
    await app.listen(cfg.port, cfg.host);
    const addr = server.address() as AddressInfo;
    const host = cfg.host === '0.0.0.0' || cfg.host === '::' ? '127.0.0.1' : cfg.host;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}`;
    cleanups.push(() => exec.close());
    cleanups.push(() => oneOff.close());
    cleanups.push(() => events.close());
    cleanups.push(() => dispatcher.close());
    await engine.start();
    let releaseLease = true;
    cleanups.push(() => engine.close(releaseLease));
    log.info(
      { url, redis: owned ? 'owned' : 'external', controller: engine.controllerId },
      'controller listening',
    );
    return {
      url,
      token,
      joinToken,
      isLeader: () => engine.isLeader,
      close: closeAll,
      crash: async () => {
        releaseLease = false;
        await closeAll();
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** OpenAPI description at /docs (best effort: the API works without it). */
async function mountOpenApi(app: NestExpressApplication): Promise<void> {
  try {
    const doc = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('tsstack controller')
        .setDescription(
          'Stacks, services, tasks, nodes; WebSockets: /v1/events, /v1/exec, /v1/run, /v1/agent',
        )
        .addBearerAuth()
        .build(),
    );
    SwaggerModule.setup('docs', app, doc);
  } catch {
    // no OpenAPI page; nothing else depends on it
  }
}
