// Typed errors of the image context: each says what went wrong and what to do about it.
import { TsstackError } from '@tsstack/model';

/** A reference string that is not a valid image reference (user mistake). */
export class InvalidReferenceError extends TsstackError {
  constructor(ref: string, why: string) {
    super(
      'IMAGE_REFERENCE_INVALID',
      `invalid image reference "${ref}": ${why}; use [registry/]repo[:tag][@sha256:...]`,
    );
  }
}

/** Content whose sha256 did not match its announced digest: nothing was stored. */
export class DigestMismatchError extends TsstackError {
  constructor(expected: string, actual: string, what: string) {
    super(
      'IMAGE_DIGEST_MISMATCH',
      `${what}: expected ${expected} but received ${actual}; the content was refused and nothing was stored (check the registry or any proxy in between)`,
    );
  }
}

/** The registry refused our credentials or asked for ones we do not have. */
export class RegistryAuthError extends TsstackError {
  constructor(registry: string, detail: string) {
    super(
      'IMAGE_REGISTRY_AUTH',
      `registry ${registry} refused authentication (${detail}); run "tsstack login ${registry}" with the right user and password`,
    );
  }
}

/** The registry could not be reached or kept failing after retries. */
export class RegistryUnavailableError extends TsstackError {
  constructor(registry: string, detail: string, cause?: unknown) {
    super(
      'IMAGE_REGISTRY_UNAVAILABLE',
      `registry ${registry} is unavailable: ${detail}; check it is running and reachable, then retry`,
      {
        temporary: true,
        cause,
      },
    );
  }
}

/** The image is not in the local store (policy never) or not in the registry. */
export class ImageNotFoundError extends TsstackError {
  constructor(ref: string, where: string) {
    super(
      'IMAGE_NOT_FOUND',
      `image ${ref} not found ${where}; pull or import it first, or check the name and tag`,
    );
  }
}

/** A layer tar tried to write outside the root or was otherwise unsafe: the whole layer was refused. */
export class UnsafeLayerError extends TsstackError {
  constructor(entry: string, why: string) {
    super(
      'IMAGE_LAYER_UNSAFE',
      `layer entry "${entry}" refused: ${why}; the image is malformed or hostile, do not use it`,
    );
  }
}

/** An image that still backs containers cannot be removed. */
export class ImageInUseError extends TsstackError {
  constructor(ref: string, containers: string[]) {
    super('IMAGE_IN_USE', `image ${ref} is used by containers ${containers.join(', ')}; remove them first`);
  }
}
