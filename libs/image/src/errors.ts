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

/** A member name as it appears in an error: quoted, control characters escaped (names are hostile input). */
export function quotedMember(name: string): string {
  return JSON.stringify(name);
}

/**
 * A layer or image archive broke a rule (a path leaving its root, a link to a directory, a damaged stream):
 * nothing of it was kept. `rule` is a short stable name of what was broken (path-dotdot, parent, malformed...).
 */
export class UnsafeLayerError extends TsstackError {
  readonly rule: string;
  readonly member: string;
  constructor(member: string, why: string, rule = 'unsafe', where = 'layer') {
    super(
      'IMAGE_LAYER_UNSAFE',
      `${where}${member ? ` member ${quotedMember(member)}` : ''} refused (${rule}): ${why}; the image is malformed or hostile, do not use it`,
    );
    this.rule = rule;
    this.member = member;
  }
}

/** A layer went past a configured limit (uncompressed size or member count): nothing of it was kept. */
export class LayerLimitError extends TsstackError {
  readonly rule: string;
  constructor(where: string, member: string, rule: string, detail: string) {
    super(
      'IMAGE_LAYER_LIMIT',
      `${where}${member ? ` at member ${quotedMember(member)}` : ''} refused (${rule}): ${detail}; if the image is genuine, raise the limit (environment of the agent or CLI) and retry`,
    );
    this.rule = rule;
  }
}

/** Writing a layer failed for a reason of this host (disk full, I/O error): retry once that is fixed. */
export class LayerWriteError extends TsstackError {
  constructor(where: string, member: string, detail: string, errno: string) {
    super(
      'IMAGE_LAYER_WRITE',
      `${where}${member ? ` at member ${quotedMember(member)}` : ''}: ${detail} (${errno}); check the disk of the image store and retry`,
      { temporary: true },
    );
  }
}

/** An image that still backs containers cannot be removed. */
export class ImageInUseError extends TsstackError {
  constructor(ref: string, containers: string[]) {
    super('IMAGE_IN_USE', `image ${ref} is used by containers ${containers.join(', ')}; remove them first`);
  }
}

/** An image archive or layout to import broke a rule: nothing of it was stored and nothing was tagged. */
export class ImageArchiveError extends TsstackError {
  readonly rule: string;
  readonly member: string;
  constructor(source: string, member: string, rule: string, why: string) {
    super(
      'IMAGE_ARCHIVE_INVALID',
      `${source}${member ? `: member ${quotedMember(member)}` : ''} refused (${rule}): ${why}; nothing was imported`,
    );
    this.rule = rule;
    this.member = member;
  }
}
