// REST: /v1/stacks — list, get, plan (diff preview), deploy (versioned), remove.
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put } from '@nestjs/common';
import type { DeployRequest, PlanRequest, StackResponse, StackSummary } from '@tsstack/model';
import { STACKS } from './deps';
import type { StackService } from '../domain/stack.service';

@Controller('v1/stacks')
export class StacksController {
  constructor(@Inject(STACKS) private readonly stacks: StackService) {}

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
    return { plan: await this.stacks.plan(name, body?.stack) };
  }

  @Put(':name')
  async deploy(@Param('name') name: string, @Body() body: DeployRequest) {
    return this.stacks.deploy(name, body?.stack, body?.expectedVersion ?? undefined);
  }

  @Delete(':name')
  async remove(@Param('name') name: string) {
    await this.stacks.remove(name);
    return { removed: name };
  }
}
