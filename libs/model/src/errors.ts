// Typed errors shared by every part of tsstack. Each has a stable `code`; `temporary` says a retry may help.
// The controller maps them to HTTP once (400 spec, 404, 409 conflict, 401), the CLI to exit codes.

export class TsstackError extends Error {
  readonly code: string;
  readonly temporary: boolean;
  constructor(code: string, message: string, options: { temporary?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.temporary = options.temporary ?? false;
  }
}

/** One problem in a stack file, at an exact place. `path` is the field path, e.g. services.web.ports[0]. */
export interface SpecIssue {
  file: string;
  line?: number;
  column?: number;
  path: string;
  message: string;
  /** The offending source line with a caret under the column, when known. */
  excerpt?: string;
}

export function formatSpecIssue(i: SpecIssue): string {
  const where = i.line ? `${i.file}:${i.line}:${i.column ?? 1}` : i.file;
  const field = i.path ? ` ${i.path}:` : '';
  return `${where}:${field} ${i.message}${i.excerpt ? '\n' + i.excerpt : ''}`;
}

/** A user mistake in stack files: every problem found, each located. Never a system failure. */
export class SpecError extends TsstackError {
  readonly issues: SpecIssue[];
  constructor(issues: SpecIssue[], code = 'SPEC_INVALID') {
    super(code, issues.map(formatSpecIssue).join('\n'));
    this.issues = issues;
  }
}

/**
 * A controller's policy refuses a stack (`--policy strict` and settings that weaken isolation): one issue
 * per setting, each naming the service field and why. Answered like a spec error (HTTP 400).
 */
export class PolicyRefusedError extends SpecError {
  constructor(issues: SpecIssue[]) {
    super(issues, 'POLICY_REFUSED');
  }
}

/** A versioned write lost a race: re-read and try again. */
export class ConflictError extends TsstackError {
  constructor(message: string) {
    super('CONFLICT', message, { temporary: true });
  }
}

export class NotFoundError extends TsstackError {
  constructor(kind: string, id: string) {
    super('NOT_FOUND', `${kind} ${id} not found`);
  }
}

export class UnauthorizedError extends TsstackError {
  constructor(message = 'missing or wrong bearer token') {
    super('UNAUTHORIZED', message);
  }
}

/** A dependency (Redis, the controller) is out of reach for now. */
export class UnavailableError extends TsstackError {
  constructor(message: string, cause?: unknown) {
    super('UNAVAILABLE', message, { temporary: true, cause });
  }
}

/** A volume still mounted by a container: stop (or remove) what uses it first. */
export class VolumeInUseError extends TsstackError {
  constructor(message: string) {
    super('VOLUME_IN_USE', message);
  }
}
