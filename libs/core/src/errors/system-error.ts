/** A Node system error (fs, net): a string `code` such as `ENOSPC`, usually a `syscall` and a `path`. */
export type SystemError = NodeJS.ErrnoException & { code: string };

const WORDS: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on the disk',
  EDQUOT: 'the disk quota is exhausted',
  ENAMETOOLONG: 'a name is longer than the filesystem allows',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or folder',
  EEXIST: 'it already exists',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder, not a file',
  EROFS: 'the filesystem is read-only',
  EMFILE: 'too many open files',
  EIO: 'an input/output error from the disk',
};

/** True for an error thrown by Node's system calls (it carries a `code` like `ENOSPC`). */
export function isSystemError(error: unknown): error is SystemError {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && typeof (error as NodeJS.ErrnoException).syscall === 'string';
}

/** True when a write failed because the disk (or the quota) is full. */
export function isDiskFull(error: unknown): boolean {
  return isSystemError(error) && (error.code === 'ENOSPC' || error.code === 'EDQUOT');
}

/**
 * Says what a system error means without the local paths Node puts in its message
 * (`ENOSPC: no space left on device, write '/var/lib/...'`): e.g. `no space left on the disk (ENOSPC, write)`.
 */
export function describeSystemError(error: SystemError): string {
  return `${WORDS[error.code] ?? 'a system error'} (${error.code}${error.syscall ? `, ${error.syscall}` : ''})`;
}
