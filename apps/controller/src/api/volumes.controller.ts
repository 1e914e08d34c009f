// REST: /v1/volumes — list (every node's named volumes), inspect, remove (refused while in use).
import { Controller, Delete, Get, Inject, Param } from '@nestjs/common';
import type { VolumeRow } from '@tsstack/model';
import { VOLUMES } from './deps';
import type { VolumeOps } from '../domain/volume-ops.service';

@Controller('v1/volumes')
export class VolumesController {
  constructor(@Inject(VOLUMES) private readonly volumes: VolumeOps) {}

  @Get()
  list(): Promise<VolumeRow[]> {
    return this.volumes.list();
  }

  @Get(':name')
  inspect(@Param('name') name: string): Promise<VolumeRow[]> {
    return this.volumes.inspect(name);
  }

  @Delete(':name')
  remove(@Param('name') name: string) {
    return this.volumes.remove(name);
  }
}
