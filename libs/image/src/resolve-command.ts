// Pure: Compose's rules for combining an image's Entrypoint/Cmd with a service's entrypoint/command.
// An entrypoint set in the service resets the image Cmd; a command set in the service replaces Cmd only.
export interface CommandSource {
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
}

export interface CommandOverride {
  entrypoint?: string[] | string | null;
  command?: string[] | string | null;
}

function asArgv(v: string[] | string): string[] {
  return typeof v === 'string' ? ['/bin/sh', '-c', v] : v;
}

export function resolveCommand(
  image: CommandSource,
  service: CommandOverride,
): { entrypoint: string[]; cmd: string[]; argv: string[] } {
  let entrypoint = image.Entrypoint ?? [];
  let cmd = image.Cmd ?? [];
  if (service.entrypoint !== undefined && service.entrypoint !== null) {
    entrypoint = typeof service.entrypoint === 'string' ? asArgv(service.entrypoint) : service.entrypoint;
    cmd = [];
  }
  if (service.command !== undefined && service.command !== null) {
    cmd =
      typeof service.command === 'string' && entrypoint.length === 0
        ? asArgv(service.command)
        : typeof service.command === 'string'
          ? [service.command]
          : service.command;
  }
  return { entrypoint, cmd, argv: [...entrypoint, ...cmd] };
}
