// REST: /v1/stacks — list, get, plan (diff preview), deploy (versioned), remove (?volumes=true: and its named
// volumes on every node, once the stack's containers are gone).
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query } from '@nestjs/common';
import type { DeployRequest, PlanRequest, StackResponse, StackSummary } from '@tsstack/model';
import { STACKS, VOLUMES } from './deps';
import type { StackService } from '../domain/stack.service';
import { stackVolumeNames, type VolumeOps } from '../domain/volume-ops.service';

@Controller('v1/stacks')
export class StacksController {
  constructor(
    @Inject(STACKS) private readonly stacks: StackService,
    @Inject(VOLUMES) private readonly volumes: VolumeOps,
  ) {}

  @Get()
  async list(): Promise<StackSummary[]> {
    return (await this.stacks.list()).map((s) => ({
      name: s.name,
      version: s.version,
      services: Object.keys(s.spec.services).length,
    }));
  }

  @Get(':name')
  async get(@Param('name') name: string): Promise<StackResponse> {
    const s = await this.stacks.get(name);
    return { name: s.name, version: s.version, services: Object.keys(s.spec.services).length, spec: s.spec };
  }

  @Post(':name/plan')
  @HttpCode(200)
  async plan(@Param('name') name: string, @Body() body: PlanRequest) {
    return { plan: await this.stacks.plan(name, body?.stack, body?.removeOrphans === true) };
  }

  @Put(':name')
  async deploy(@Param('name') name: string, @Body() body: DeployRequest) {
    return this.stacks.deploy(
      name,
      body?.stack,
      body?.expectedVersion ?? undefined,
      body?.removeOrphans === true,
    );
  }

  @Delete(':name')
  async remove(@Param('name') name: string, @Query('volumes') volumes?: string) {
    const removed = await this.stacks.remove(name);
    if (volumes !== 'true' && volumes !== '1') return { removed: name };
    return {
      removed: name,
      volumes: await this.volumes.removeForStack(stackVolumeNames(name, removed.spec)),
    };
  }
}
