// The one place typed errors become HTTP: 400 spec, 401, 404, 409 stale version/conflict, 503 unavailable
// (Redis away). Bodies are always {error: {code, message, issues?}}; services never throw HTTP exceptions.
import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Logger } from 'pino';
import { SpecError, TsstackError, type ApiErrorBody } from '@tsstack/model';
import type { HttpRes } from './http-types';

export function httpStatusOf(err: unknown): number {
  if (err instanceof HttpException) return err.getStatus();
  if (!(err instanceof TsstackError)) return 500;
  switch (err.code) {
    case 'SPEC_INVALID':
    case 'PLANNER_BAD_CONSTRAINT':
      return 400;
    case 'UNAUTHORIZED':
      return 401;
    case 'NOT_FOUND':
      return 404;
    case 'CONFLICT':
    case 'VOLUME_IN_USE':
      return 409;
    case 'UNAVAILABLE':
      return 503;
    default:
      return 400;
  }
}

export function errorBody(err: unknown): ApiErrorBody {
  if (err instanceof SpecError)
    return { error: { code: err.code, message: err.message, issues: err.issues } };
  if (err instanceof TsstackError) return { error: { code: err.code, message: err.message } };
  if (err instanceof HttpException) {
    return { error: { code: `HTTP_${err.getStatus()}`, message: err.message } };
  }
  return { error: { code: 'INTERNAL', message: 'internal error: see the controller log' } };
}

@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  constructor(private readonly log: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<HttpRes>();
    const status = httpStatusOf(exception);
    if (status >= 500 && status !== 503) this.log.error({ err: exception }, 'request failed');
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(status).json(errorBody(exception));
  }
}
