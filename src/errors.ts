import { os } from './lazy-builtins.js';

/**
 * One error hierarchy. Each class carries the exit code the CLI uses and a
 * message that is one sentence naming the problem and the fix.
 */
export class CachexError extends Error {
  readonly exitCode: number = 1;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad command-line input: unknown task or flag, bad value, missing required. */
export class UsageError extends CachexError {
  override readonly exitCode = 2;
}

/** The config file, params file or environment is wrong. */
export class ConfigError extends CachexError {
  override readonly exitCode = 3;
}

/** The store cannot be read or written (unwritable, full, corrupt beyond repair). */
export class StoreError extends CachexError {
  override readonly exitCode = 4;
}

/** Turns a file-system error from the store into one sentence with a fix. */
export function storeErrorFrom(err: unknown, what: string): StoreError {
  const e = err as NodeJS.ErrnoException;
  const where = e?.path ? ` (${e.path})` : '';
  // Node 20 has no name for EDQUOT (its code reads 'Unknown system error -122'): match the number.
  const code = e?.errno === -os().constants.errno.EDQUOT ? 'EDQUOT' : e?.code;
  switch (code) {
    case 'ENOSPC':
      return new StoreError(
        `The disk is full while ${what}${where}; free some space or run \`cachex prune --max-size …\`.`,
        { cause: err },
      );
    case 'EDQUOT':
      return new StoreError(
        `The disk quota is exceeded while ${what}${where}; free some space or run \`cachex prune\`.`,
        { cause: err },
      );
    case 'EFBIG':
      return new StoreError(
        `A file is too large for this file system while ${what}${where}; use a data folder on another disk.`,
        { cause: err },
      );
    case 'EROFS':
      return new StoreError(
        `The data folder is on a read-only file system while ${what}${where}; point --data-folder or DATA_FOLDER at a writable folder.`,
        { cause: err },
      );
    case 'EACCES':
    case 'EPERM':
      return new StoreError(
        `Permission denied while ${what}${where}; make the data folder writable or point DATA_FOLDER elsewhere.`,
        { cause: err },
      );
    case 'ENOENT':
      if (e?.syscall === 'mkdir')
        return new StoreError(
          `A folder cannot be created while ${what}${where}; point --data-folder or DATA_FOLDER at a folder on a writable disk.`,
          { cause: err },
        );
      return new StoreError(`Store error while ${what}${where}: ${e?.message ?? String(err)}.`, { cause: err });
    default:
      return new StoreError(`Store error while ${what}${where}: ${e?.message ?? String(err)}.`, { cause: err });
  }
}
