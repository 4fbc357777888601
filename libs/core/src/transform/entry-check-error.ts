import { OctoError } from '../errors/octo-error.js';
import type { FileContext } from '../ports/file-context.js';

/** Where in an entry a check failed: 1-based line, and 1-based column (a character, or a CSV field). */
export interface TextPosition {
  readonly line: number;
  readonly column: number;
}

/**
 * The error of a failed check of the validate-and-transform stage: kind `validate`, naming the
 * source file, the entry, the line and column, what was wrong, and that nothing landed.
 */
export function entryCheckError(context: Pick<FileContext, 'file' | 'provider'>, entryName: string, at: TextPosition, what: string): OctoError {
  const where = entryName === context.file.path ? entryName : `${context.file.path}: ${entryName}`;
  return new OctoError(
    'validate',
    `${where} line ${at.line}, column ${at.column}: ${what}; nothing from the file was landed: ask the partner for a corrected file`,
  );
}
