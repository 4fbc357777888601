import { OctoError } from '../errors/octo-error.js';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
// Half of a surrogate pair on its own: not a character, so it has no UTF-8 form for a key.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Normalises an archive entry or remote file name to a relative `/`-separated path that
 * cannot leave its prefix: no absolute paths, drive letters, `..` segments, backslashes or
 * control characters. Throws an `unsafe` error naming the entry otherwise.
 */
export function safeRelativeName(raw: string, what: string): string {
  const reason = unsafeReason(raw);
  if (reason) throw new OctoError('unsafe', `${what} "${printable(raw)}" is refused: ${reason}; nothing from this file was landed`);
  return raw
    .split('/')
    .filter((segment) => segment !== '' && segment !== '.')
    .join('/');
}

function unsafeReason(raw: string): string | undefined {
  if (raw.length === 0) return 'the name is empty';
  if (raw.length > 512) return 'the name is longer than 512 characters';
  if (CONTROL.test(raw)) return 'the name contains control characters';
  if (LONE_SURROGATE.test(raw)) return 'the name is not valid Unicode';
  if (raw.includes('\\')) return 'the name contains a backslash';
  if (raw.startsWith('/')) return 'the path is absolute';
  if (/^[A-Za-z]:/.test(raw)) return 'the path starts with a drive letter';
  const segments = raw.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.length === 0) return 'the name has no file part';
  if (segments.some((segment) => segment === '..')) return 'the path climbs out of its folder with ".."';
  return undefined;
}

function printable(raw: string): string {
  return JSON.stringify(raw).slice(1, -1).slice(0, 200);
}
