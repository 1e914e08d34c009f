// The Nest module of the REST API, built around values made before Nest starts (store, domain services,
// engine, dispatcher).
import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { NodesController } from './nodes.controller';
import { ServicesController } from './services.controller';
import { StacksController } from './stacks.controller';
import { SystemController } from './system.controller';
import { VolumesController } from './volumes.controller';

@Module({})
export class ControllerModule {
  static with(providers: Provider[]): DynamicModule {
    return {
      module: ControllerModule,
      controllers: [
        StacksController,
        ServicesController,
        NodesController,
        SystemController,
        VolumesController,
      ],
      providers,
    };
  }
}
