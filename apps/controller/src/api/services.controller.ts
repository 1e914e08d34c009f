// REST: /v1/services — list, inspect, scale, update, rollback, restart, and logs (NDJSON relayed from the
// agents of the service's tasks), plus /v1/tasks.
import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  TaskState,
  type LogLine,
  type ScaleRequest,
  type ServiceUpdateRequest,
  type TaskRow,
} from '@tsstack/model';
import { isCurrent } from '@tsstack/planner';
import { RUNTIME, SERVICES, type ControllerRuntime } from './deps';
import type { ServiceOps } from '../domain/service-ops.service';
import type { HttpReq, HttpRes } from './http-types';

function toLines(taskId: string, data: unknown): LogLine[] {
  const now = new Date().toISOString();
  const one = (d: unknown): LogLine => {
    if (typeof d === 'string') return { task: taskId, stream: 'stdout', time: now, line: d };
    const o = (d ?? {}) as Partial<LogLine>;
    return {
      task: o.task ?? taskId,
      stream: o.stream ?? 'stdout',
      time: o.time ?? now,
      line: o.line ?? JSON.stringify(d),
    };
  };
  return Array.isArray(data) ? data.map(one) : data === undefined ? [] : [one(data)];
}

@Controller('v1')
export class ServicesController {
  constructor(
    @Inject(SERVICES) private readonly services: ServiceOps,
    @Inject(RUNTIME) private readonly rt: ControllerRuntime,
  ) {}

  @Get('services')
  list(@Query('stack') stack?: string) {
    return this.services.list(stack || undefined);
  }

  @Get('services/:stack/:service')
  inspect(@Param('stack') stack: string, @Param('service') service: string) {
    return this.services.inspect(stack, service);
  }

  @Post('services/:stack/:service/scale')
  @HttpCode(200)
  async scale(@Param('stack') stack: string, @Param('service') service: string, @Body() body: ScaleRequest) {
    const r = await this.services.scale(stack, service, Number(body?.replicas));
    return { service: r.key, replicas: r.spec.deploy.replicas, version: r.version };
  }

  @Post('services/:stack/:service/update')
  @HttpCode(200)
  async update(
    @Param('stack') stack: string,
    @Param('service') service: string,
    @Body() body: ServiceUpdateRequest,
  ) {
    const r = await this.services.update(stack, service, body ?? {});
    return { service: r.key, version: r.version, specVersion: r.specVersion };
  }

  @Post('services/:stack/:service/rollback')
  @HttpCode(200)
  async rollback(@Param('stack') stack: string, @Param('service') service: string) {
    const r = await this.services.rollback(stack, service);
    return { service: r.key, version: r.version, specVersion: r.specVersion };
  }

  @Post('services/:stack/:service/restart')
  @HttpCode(200)
  async restart(@Param('stack') stack: string, @Param('service') service: string) {
    const r = await this.services.restart(stack, service);
    return { service: r.key, version: r.version, specVersion: r.specVersion };
  }

  @Get('tasks')
  tasks(
    @Query('stack') stack?: string,
    @Query('service') service?: string,
    @Query('all') all?: string,
  ): Promise<TaskRow[]> {
    return this.services.tasks({
      stack: stack || undefined,
      service: service || undefined,
      all: all === '1' || all === 'true',
    });
  }

  /** One answer per running task of the service: `stats` (cpu, memory, pids, net) or `top` (processes). */
  @Get(['services/:stack/:service/stats', 'services/:stack/:service/top'])
  async probe(@Param('stack') stack: string, @Param('service') service: string, @Req() req: HttpReq) {
    await this.services.inspect(stack, service); // 404 when unknown
    const op = (req.url ?? '').split('?')[0]!.endsWith('/top') ? 'top' : 'stats';
    const tasks = (await this.rt.store.listTasks()).filter(
      (t) =>
        t.stack === stack &&
        t.service === service &&
        t.nodeId &&
        isCurrent(t) && // as `ps`: not the tasks being stopped (draining)
        t.status.state === TaskState.Running,
    );
    return Promise.all(
      tasks.map(
        (t) =>
          new Promise<{ task: string; node: string; slot?: number; data?: unknown; error?: string }>(
            (resolve) => {
              const base = { task: t.id, node: t.nodeId!, ...(t.slot !== undefined ? { slot: t.slot } : {}) };
              const timer = setTimeout(
                () => resolve({ ...base, error: 'no answer from the agent within 5 s' }),
                5000,
              );
              this.rt.router
                .request(t.nodeId!, op, t.id, {}, (done, data, error) => {
                  if (!done) return;
                  clearTimeout(timer);
                  resolve({ ...base, ...(data !== undefined ? { data } : {}), ...(error ? { error } : {}) });
                })
                .catch((err: Error) => {
                  clearTimeout(timer);
                  resolve({ ...base, error: err.message });
                });
            },
          ),
      ),
    );
  }

  @Get('services/:stack/:service/logs')
  async logs(
    @Param('stack') stack: string,
    @Param('service') service: string,
    @Query() q: Record<string, string | undefined>,
    @Req() req: HttpReq,
    @Res() res: HttpRes,
  ): Promise<void> {
    await this.services.inspect(stack, service); // 404 when unknown
    const tasks = (await this.rt.store.listTasks()).filter(
      (t) => t.stack === stack && t.service === service && t.nodeId && t.status.state >= TaskState.Starting,
    );
    res.status(200);
    res.setHeader('content-type', 'application/x-ndjson');
    const follow = q.follow === '1' || q.follow === 'true';
    const args = {
      follow,
      ...(q.since ? { since: q.since } : {}),
      ...(q.tail ? { tail: Number(q.tail) } : {}),
    };
    let open = 0;
    const cancels: Array<() => void> = [];
    const finish = () => {
      if (--open <= 0 && !res.writableEnded) res.end();
    };
    for (const t of tasks) {
      open++;
      try {
        const r = await this.rt.router.request(t.nodeId!, 'logs', t.id, args, (done, data, error) => {
          for (const line of toLines(t.id, data)) res.write(JSON.stringify(line) + '\n');
          if (error)
            res.write(
              JSON.stringify({
                task: t.id,
                stream: 'stderr',
                time: new Date().toISOString(),
                line: `[tsstack: ${error}]`,
              }) + '\n',
            );
          if (done) finish();
        });
        cancels.push(r.cancel);
      } catch (err) {
        res.write(
          JSON.stringify({
            task: t.id,
            stream: 'stderr',
            time: new Date().toISOString(),
            line: `[tsstack: ${(err as Error).message}]`,
          }) + '\n',
        );
        finish();
      }
    }
    if (tasks.length === 0) res.end();
    req.on('close', () => cancels.forEach((c) => c()));
  }
}
