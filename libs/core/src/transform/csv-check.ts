import { Transform, type TransformCallback } from 'node:stream';
import { CsvError, parse, type Parser } from 'csv-parse';
import type { FileContext } from '../ports/file-context.js';
import { entryCheckError, type TextPosition } from './entry-check-error.js';

/** What a CSV entry must look like; every field is optional. */
export interface CsvExpectations {
  /** The field separator (default `,`). */
  readonly delimiter?: string;
  /**
   * The first line: these names in this order, `true` for a header line with any names (the
   * default), `false` for none. A header is not counted as a row.
   */
  readonly header?: readonly string[] | boolean;
  /** Fields per row; defaults to the header's. */
  readonly columns?: number;
  /** The number of data rows (header and trailer not counted): exactly this many, or within bounds. */
  readonly rows?: number | { readonly min?: number; readonly max?: number };
  /**
   * The last line is a trailer that states the number of data rows: a pattern whose first
   * capture group is that number (e.g. `^TRAILER,(\d+)$`). The trailer is not counted as a row.
   */
  readonly trailer?: RegExp;
}

interface ParsedRecord {
  readonly record: string[];
  readonly raw?: string;
  readonly info: { readonly lines: number };
}

/**
 * Checks a CSV entry against {@link CsvExpectations} as it streams, passing its bytes on
 * unchanged: the header's names, the fields of every row, the row count and the trailer that
 * states it. Quoting is csv-parse's (RFC 4180). Holds one record at a time (the last one, which
 * may be the trailer), and fails at the first problem with its line and column (the field).
 */
export class CsvCheck extends Transform {
  private readonly parser: Parser;
  private columns: number | undefined;
  private headerPending: boolean;
  private rows = 0;
  /** The record before the current one: a data row, unless it turns out to be the trailer. */
  private held: ParsedRecord | undefined;
  private failure: Error | undefined;
  /** The line the last record ended on: where an end-of-entry problem is reported. */
  private lastLine = 1;

  constructor(
    private readonly context: Pick<FileContext, 'file' | 'provider'>,
    private readonly entryName: string,
    private readonly expect: CsvExpectations,
  ) {
    super();
    this.columns = expect.columns ?? (Array.isArray(expect.header) ? expect.header.length : undefined);
    this.headerPending = expect.header !== false;
    this.parser = parse({
      delimiter: expect.delimiter ?? ',',
      info: true,
      raw: expect.trailer !== undefined,
      relax_column_count: true,
      skip_empty_lines: true,
    });
    this.parser.on('data', (record: ParsedRecord) => this.onRecord(record));
    this.parser.on('error', (error) => this.fail(this.parseError(error)));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.failure) return callback(this.failure);
    // Waits for the parser to take the chunk in: at most one chunk is ever held here.
    this.parser.write(chunk, () => callback(this.failure ?? null, chunk));
  }

  override _flush(callback: TransformCallback): void {
    if (this.failure) return callback(this.failure);
    // 'end' comes once every record was handed to onRecord, not merely parsed.
    this.parser.once('end', () => {
      if (!this.failure) this.finish();
      callback(this.failure ?? null);
    });
    this.parser.once('error', () => callback(this.failure));
    this.parser.end();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.parser.destroy();
    callback(error);
  }

  private onRecord(parsed: ParsedRecord): void {
    if (this.failure) return;
    this.lastLine = parsed.info.lines;
    if (this.headerPending) {
      this.headerPending = false;
      this.checkHeader(parsed);
      return;
    }
    // Without a trailer every record is a row at once; with one, a record is a row once another follows it.
    if (!this.expect.trailer) return this.row(parsed);
    if (this.held) this.row(this.held);
    this.held = parsed;
  }

  private checkHeader({ record, info }: ParsedRecord): void {
    const names = this.expect.header;
    this.columns ??= record.length;
    if (!Array.isArray(names)) return;
    const index = names.findIndex((name, i) => record[i] !== name);
    if (index !== -1) {
      const found = record[index];
      this.fail(this.error({ line: info.lines, column: index + 1 }, `expected the header ${JSON.stringify(names.join(this.delimiter))}, but column ${index + 1} is ${found === undefined ? 'missing' : JSON.stringify(found)} where ${JSON.stringify(names[index])} belongs`));
    } else if (record.length !== names.length) {
      this.fail(this.error({ line: info.lines, column: names.length + 1 }, `expected the header ${JSON.stringify(names.join(this.delimiter))} (${names.length} columns), found ${record.length} columns`));
    }
  }

  private row({ record, info, raw }: ParsedRecord): void {
    this.rows += 1;
    const expected = this.columns;
    if (expected === undefined) {
      this.columns = record.length;
      return;
    }
    if (record.length === expected) return;
    const column = Math.min(record.length, expected) + 1;
    this.fail(this.error({ line: info.lines, column }, `expected ${expected} columns, found ${record.length}${this.delimiterHint(record, raw)}`));
  }

  /** At the end: the trailer, then the row count. */
  private finish(): void {
    const trailer = this.expect.trailer;
    if (this.headerPending && this.expect.header !== false) {
      this.fail(this.error({ line: 1, column: 1 }, 'the entry is empty: expected a header line'));
      return;
    }
    if (trailer) {
      const last = this.held;
      if (!last) {
        this.fail(this.error({ line: this.lastLine, column: 1 }, `expected a trailer line matching ${trailer.source} after the rows, found none`));
        return;
      }
      const line = (last.raw ?? last.record.join(this.delimiter)).replace(/\r?\n$/, '').replace(/\r$/, '');
      const match = new RegExp(trailer.source, `${trailer.flags.replace('d', '')}d`).exec(line);
      const stated = match?.[1];
      if (!match || stated === undefined || !/^\d+$/.test(stated)) {
        this.fail(this.error({ line: last.info.lines, column: 1 }, `expected the last line to be a trailer matching ${trailer.source} that states the row count, found ${JSON.stringify(line.slice(0, 80))}`));
        return;
      }
      const count = Number(stated);
      if (count !== this.rows) {
        const column = (match.indices?.[1]?.[0] ?? 0) + 1;
        this.fail(this.error({ line: last.info.lines, column }, `the trailer states ${count} rows, but the entry has ${this.rows} (a truncated or padded file)`));
        return;
      }
    }
    const bounds = this.expect.rows;
    if (bounds === undefined) return;
    const { min, max } = typeof bounds === 'number' ? { min: bounds, max: bounds } : bounds;
    if ((min !== undefined && this.rows < min) || (max !== undefined && this.rows > max)) {
      const wanted = min === max ? `${min}` : [min !== undefined ? `at least ${min}` : '', max !== undefined ? `at most ${max}` : ''].filter(Boolean).join(' and ');
      this.fail(this.error({ line: this.lastLine, column: 1 }, `expected ${wanted} rows, found ${this.rows}`));
    }
  }

  private get delimiter(): string {
    return this.expect.delimiter ?? ',';
  }

  /** A row of one field that holds another common separator: the delimiter is likely wrong. */
  private delimiterHint(record: string[], raw: string | undefined): string {
    if (record.length !== 1) return '';
    const text = raw ?? record[0] ?? '';
    const other = [';', '\t', '|', ','].find((candidate) => candidate !== this.delimiter && text.includes(candidate));
    return other ? ` (the line has no ${JSON.stringify(this.delimiter)} but has ${JSON.stringify(other)}: set validate.csv.delimiter if that is the separator)` : '';
  }

  private parseError(error: Error): Error {
    if (!(error instanceof CsvError)) return error;
    const line = typeof error['lines'] === 'number' ? error['lines'] : this.lastLine;
    const column = typeof error['column'] === 'number' ? error['column'] + 1 : 1;
    return this.error({ line, column }, `not valid CSV: ${error.message.replace(/^[^:]+: /, '')}`);
  }

  private error(at: TextPosition, what: string): Error {
    return entryCheckError(this.context, this.entryName, at, what);
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.destroy(error);
  }
}
