// REST: /health (the only endpoint without a token), /v1/join-token, /metrics (Prometheus).
import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import type { HealthResponse } from '@tsstack/model';
import type { HttpRes } from './http-types';
import { RUNTIME, type ControllerRuntime } from './deps';

@Controller()
export class SystemController {
  constructor(@Inject(RUNTIME) private readonly rt: ControllerRuntime) {}

  @Get('health')
  health(): HealthResponse {
    const up = this.rt.redisUp();
    return { status: up ? 'ok' : 'degraded', leader: this.rt.engine.isLeader, redis: up ? 'up' : 'down' };
  }

  @Get('v1/join-token')
  joinToken() {
    const t = this.rt.joinToken();
    return { token: t, joinToken: t };
  }

  /** /v1/events and /v1/exec are WebSockets: a plain GET gets 426 and how to connect. */
  @Get(['v1/events', 'v1/exec'])
  upgradeOnly(@Res() res: HttpRes): void {
    res.status(426).json({
      error: {
        code: 'UPGRADE_REQUIRED',
        message: 'this endpoint is a WebSocket: connect with ws://…/v1/events?since=<id>',
      },
    });
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4')
  metrics(): Promise<string> {
    return this.rt.metrics.registry.metrics();
  }
}
