// Typed errors of the CLI: each says what to do next and carries the exit code the CLI ends with.
import { TsstackError } from '@tsstack/model';

export class CliError extends TsstackError {
  readonly exitCode: number;
  constructor(code: string, message: string, exitCode = 1, options: { cause?: unknown } = {}) {
    super(code, message, options);
    this.exitCode = exitCode;
  }
}

/** The controller did not answer at all (connection refused, DNS, timeout). */
export class ControllerUnreachableError extends CliError {
  constructor(address: string, cause?: unknown) {
    super(
      'CONTROLLER_UNREACHABLE',
      `controller unreachable at ${address}: start it with \`tsstack up\` (embedded) or \`tsstack controller\``,
      1,
      { cause },
    );
  }
}

/** The controller answered with {error: {code, message, issues?}} and a non-2xx status. */
export class ApiError extends CliError {
  readonly status: number;
  readonly issues: unknown[];
  constructor(status: number, code: string, message: string, issues: unknown[] = []) {
    super(code, `${message} (HTTP ${status} ${code})`, status === 400 ? 2 : 1);
    this.status = status;
    this.issues = issues;
  }
}
