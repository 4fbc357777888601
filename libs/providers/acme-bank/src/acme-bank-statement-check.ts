import type { Duplex } from 'node:stream';
import { CsvCheck, injectable, Utf8Check, type EntryTransform, type FileContext, type UnpackedEntry } from '@octo/core';

/** The header every Acme Bank statement starts with. */
export const STATEMENT_HEADER = ['account', 'date', 'amount', 'currency'] as const;

/** The statement's last line, `TRAILER,<rows>`: the number of transaction rows the bank wrote. */
export const STATEMENT_TRAILER = /^TRAILER,(\d+)$/;

/**
 * Acme Bank's check of each statement as it streams to the bucket: UTF-8, the header
 * `account,date,amount,currency`, four fields per row, and the trailer `TRAILER,<rows>` whose
 * count must be the rows above it, so a statement cut short (or padded) never lands. A failure
 * names the line and column (kind `validate`).
 */
@injectable()
export class AcmeBankStatementCheck implements EntryTransform {
  transform(entry: UnpackedEntry, context: FileContext): readonly Duplex[] {
    return [new Utf8Check(context, entry.name), new CsvCheck(context, entry.name, { header: STATEMENT_HEADER, trailer: STATEMENT_TRAILER })];
  }
}
