import fc from 'fast-check';
import { outputTypeOf } from '../adapters/routing/default-router.js';
import { MAX_KEY_BYTES } from '../adapters/local/object-key.js';

// Pieces hostile and unlucky names are made of: separators, dots, drive letters, NUL and other
// controls, a BOM, lone surrogate halves, characters of every UTF-8 length.
const tricky = fc.constantFrom('/', '//', '\\', '.', '..', './', '../', '\u0000', '\u0001', '\n', '\u007f', '\u0085', 'C:', ':', '%', '%E9', ' ', '\uFEFF', '\uD800', '\uDC00', 'é', 'e\u0301', '€', '😀', '.csv', '.PDF', '.xml', '.gz');
const piece = fc.oneof(tricky, fc.string({ maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 6 }));
/** An arbitrary entry or source name, from harmless to hostile, now and then very long (fast-check). */
export const hostileName = fc.oneof(
  { weight: 5, arbitrary: fc.array(piece, { maxLength: 12 }).map((parts) => parts.join('')) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ unit: 'grapheme', minLength: 200, maxLength: 600 }), tricky).map(([long, end]) => long + end) },
);
/** Names from a few pieces, so that distinct names that are one path once normalised (`a.csv`, `./a.csv`, `a//b`) come up often. */
export const nearTwinName = fc.array(fc.constantFrom('a', 'b.csv', '/', './', '//', '.'), { minLength: 1, maxLength: 4 }).map((parts) => parts.join(''));
/**
 * Why `key` is not a safe output key under `folder` (outside `data/<type>/<folder>/`, over 1024
 * bytes, not UTF-8, an empty, `.` or `..` segment, a control character or backslash), or undefined.
 */
export function routedKeyProblem(key: string, folder: string): string | undefined {
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) return 'longer than 1024 bytes';
  if (Buffer.from(key, 'utf8').toString('utf8') !== key) return 'not valid UTF-8';
  if (!key.startsWith(`data/${outputTypeOf(key)}/${folder}/`)) return 'outside its prefix';
  const segments = key.split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) return 'an empty, . or .. segment';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(key)) return 'a control character or backslash';
  return undefined;
}

