// Errors of the container runtime: a bad spec (the caller's mistake, nothing created) apart from a system
// failure, which carries errno and the step that failed, the shape of Node's fs errors.
import { TsstackError } from '@tsstack/model';

export class InvalidContainerSpecError extends TsstackError {
  constructor(field: string, message: string) {
    super('CONTAINER_SPEC_INVALID', `${field}: ${message}`);
  }
}

export class RuntimeError extends TsstackError {
  readonly errno: number;
  readonly syscall: string;
  constructor(message: string, o: { code: string; errno: number; syscall: string; cause?: unknown }) {
    super(o.code, message, { cause: o.cause });
    this.errno = o.errno;
    this.syscall = o.syscall;
  }
}

export class ContainerNotFoundError extends TsstackError {
  constructor(id: string) {
    super('CONTAINER_NOT_FOUND', `container ${id} not found`);
  }
}

export class ContainerStateError extends TsstackError {
  constructor(id: string, message: string) {
    super('CONTAINER_STATE', `container ${id}: ${message}`);
  }
}

export class NativeCoreMissingError extends TsstackError {
  constructor(what: string, cause?: unknown) {
    super('NATIVE_MISSING', `${what} is not built; run \`npm run build:native\``, { cause });
  }
}
