// The one error of `tsstack build`: what failed, where in the Dockerfile, and what to do.
import { TsstackError } from '@tsstack/model';

export class BuildError extends TsstackError {
  constructor(
    message: string,
    readonly file?: string,
    readonly line?: number,
    code = 'IMAGE_BUILD',
  ) {
    super(code, file ? `${file}${line ? `:${line}` : ''}: ${message}` : message);
  }
}
