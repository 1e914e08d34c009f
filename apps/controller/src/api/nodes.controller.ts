// REST: /v1/nodes — list, inspect, update (availability, labels; versioned), remove (only when down).
import { Body, Controller, Delete, Get, Inject, Param, Patch } from '@nestjs/common';
import type { NodeUpdateRequest } from '@tsstack/model';
import { NODES } from './deps';
import type { NodeOps } from '../domain/node-ops.service';

@Controller('v1/nodes')
export class NodesController {
  constructor(@Inject(NODES) private readonly nodes: NodeOps) {}

  @Get()
  list() {
    return this.nodes.list();
  }

  @Get(':id')
  inspect(@Param('id') id: string) {
    return this.nodes.inspect(id);
  }

  @Patch(':id')
  update(@Param('id') id: string, @Body() body: NodeUpdateRequest) {
    return this.nodes.update(id, body ?? {});
  }

  @Delete(':id')
  async remove(@Param('id') id: string) {
    await this.nodes.remove(id);
    return { removed: id };
  }
}
