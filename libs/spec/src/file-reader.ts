// libs/spec: the only file access of the spec lib: bounded reads of Compose, env, config and secret files.
// Behind a small interface so tests and callers can give files from memory.
import * as fs from 'node:fs';

export interface SpecFiles {
  /** The file's bytes, or undefined when it does not exist. Throws FileTooLarge above `maxBytes`. */
  read(path: string, maxBytes: number): Uint8Array | undefined;
  isFile(path: string): boolean;
}

export class FileTooLarge extends Error {
  constructor(
    readonly path: string,
    readonly size: number,
    readonly maxBytes: number,
  ) {
    super(`${path} is ${size} bytes, above the limit of ${maxBytes}`);
  }
}

export const nodeFiles: SpecFiles = {
  read(path, maxBytes) {
    let fd: number;
    try {
      fd = fs.openSync(path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (size > maxBytes) throw new FileTooLarge(path, size, maxBytes);
      return fs.readFileSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  },
  isFile(path) {
    try {
      return fs.statSync(path).isFile();
    } catch {
      return false;
    }
  },
};

/** Files from memory, keyed by absolute path (for tests). */
export function memoryFiles(files: Record<string, string>): SpecFiles {
  return {
    read(path, maxBytes) {
      const text = files[path];
      if (text === undefined) return undefined;
      const bytes = Buffer.from(text);
      if (bytes.length > maxBytes) throw new FileTooLarge(path, bytes.length, maxBytes);
      return bytes;
    },
    isFile: (path) => files[path] !== undefined,
  };
}
