import { Readable, type Duplex } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { OctoError } from '../errors/octo-error.js';
import { chain } from '../streams/chain.js';
import { CharsetToUtf8 } from './charset-to-utf8.js';
import { CsvCheck, type CsvExpectations } from './csv-check.js';
import { LineEndings } from './line-endings.js';
import { StripBom } from './strip-bom.js';
import { Utf8Check } from './utf8-check.js';

const context = { provider: 'acme', file: { path: 'in/stmt.csv.gz', size: 1, mtimeMs: 0 } };
const entry = 'stmt.csv';

/** Streams `chunks` (each its own chunk, so boundaries fall where the test says) through `stages`. */
async function through(chunks: ReadonlyArray<string | Buffer | number[]>, ...stages: Duplex[]): Promise<Buffer> {
  const source = Readable.from(chunks.map((chunk) => (typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk))), { objectMode: false });
  return buffer(chain(source, ...(stages as never[])));
}

async function failure(chunks: ReadonlyArray<string | Buffer | number[]>, ...stages: Duplex[]): Promise<OctoError> {
  const error = await through(chunks, ...stages).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!OctoError.is(error)) throw new Error(`expected an OctoError, got ${String(error)}`);
  return error;
}

const csv = (expect: CsvExpectations) => new CsvCheck(context, entry, expect);
const tail = '; nothing from the file was landed: ask the partner for a corrected file';

describe(CsvCheck, () => {
  const header = ['account', 'date', 'amount', 'currency'];
  const good = 'account,date,amount,currency\n1,2026-11-01,"1,250.00",EUR\n1,2026-11-01,"a ""quoted""\nnote",EUR\nTRAILER,2\n';

  it('should pass the bytes on unchanged when every check holds (quoted delimiters and newlines are one field)', async () => {
    const out = await through([good.slice(0, 17), good.slice(17, 50), good.slice(50)], csv({ header, trailer: /^TRAILER,(\d+)$/ }));
    expect(out.toString()).toBe(good);
  });

  it('should name the line and column of a header that differs', async () => {
    const error = await failure(['account,Date,amount,currency\n1,2,3,4\n'], csv({ header }));
    expect(error.kind).toBe('validate');
    expect(error.message).toBe(`in/stmt.csv.gz: stmt.csv line 1, column 2: expected the header "account,date,amount,currency", but column 2 is "Date" where "date" belongs${tail}`);
  });

  it('should name the line and column where a row has more or fewer columns than the header', async () => {
    expect((await failure(['a,b,c,d\n1,2,3,4\n1,2,3,4,5\n'], csv({ header: true }))).message).toBe(`in/stmt.csv.gz: stmt.csv line 3, column 5: expected 4 columns, found 5${tail}`);
    expect((await failure(['a,b,c,d\n1,2,3\n'], csv({ columns: 4 }))).message).toBe(`in/stmt.csv.gz: stmt.csv line 2, column 4: expected 4 columns, found 3${tail}`);
  });

  it('should say when the delimiter looks wrong', async () => {
    const error = await failure(['a;b\n1;2\n'], csv({ header: false, columns: 2 }));
    expect(error.message).toContain('line 1, column 2: expected 2 columns, found 1 (the line has no "," but has ";": set validate.csv.delimiter if that is the separator)');
    expect((await through(['a;b\n1;2\n'], csv({ header: ['a', 'b'], delimiter: ';' }))).toString()).toBe('a;b\n1;2\n');
  });

  it('should name the trailer line and the column of its count when the count is not the number of rows', async () => {
    const error = await failure(['h1,h2\n1,2\n3,4\n', '5,6\nTRAILER,2\n'], csv({ trailer: /^TRAILER,(\d+)$/ }));
    expect(error.message).toBe(`in/stmt.csv.gz: stmt.csv line 5, column 9: the trailer states 2 rows, but the entry has 3 (a truncated or padded file)${tail}`);
  });

  it('should fail a file whose last line is not the trailer, and one that ends after its header', async () => {
    expect((await failure(['h1,h2\n1,2\n3,4\n'], csv({ trailer: /^TRAILER,(\d+)$/ }))).message).toContain('stmt.csv line 3, column 1: expected the last line to be a trailer matching ^TRAILER,(\\d+)$ that states the row count, found "3,4"');
    expect((await failure(['h1,h2\n'], csv({ trailer: /^TRAILER,(\d+)$/ }))).message).toContain('stmt.csv line 1, column 1: expected a trailer line matching ^TRAILER,(\\d+)$ after the rows, found none');
    expect((await failure([''], csv({ header }))).message).toContain('stmt.csv line 1, column 1: the entry is empty: expected a header line');
  });

  it('should check a row count given in config', async () => {
    expect((await failure(['h\n1\n2\n3\n'], csv({ rows: { max: 2 } }))).message).toContain('stmt.csv line 4, column 1: expected at most 2 rows, found 3');
    expect((await failure(['h\n1\n'], csv({ rows: 2 }))).message).toContain('expected 2 rows, found 1');
    expect((await through(['h\n1\n2\n'], csv({ rows: { min: 1, max: 2 } }))).toString()).toBe('h\n1\n2\n');
  });

  it('should name the line of quoting csv-parse cannot read', async () => {
    const error = await failure(['a,b\n1,"open\n2,3\n'], csv({}));
    expect(error.kind).toBe('validate');
    expect(error.message).toMatch(/^in\/stmt\.csv\.gz: stmt\.csv line 3, column \d+: not valid CSV: .*quote/i);
  });
});

describe(Utf8Check, () => {
  const check = () => new Utf8Check(context, entry);

  it('should pass UTF-8 unchanged, a character split across chunks included', async () => {
    const bytes = Buffer.from('name\ncafé 😀\n');
    const out = await through([bytes.subarray(0, 9), bytes.subarray(9, 13), bytes.subarray(13)], check());
    expect(out.equals(bytes)).toBe(true);
  });

  it('should name the line and column (in characters) of the first byte that is not UTF-8', async () => {
    const error = await failure(['name\n', Buffer.from('é,caf'), [0xe9, 0x0a]], check());
    expect(error.message).toBe(`in/stmt.csv.gz: stmt.csv line 2, column 6: not UTF-8 (byte 0xE9); if the partner writes Latin-1 or Windows-1252, declare it with transform.charset${tail}`);
  });

  it('should refuse overlong forms, surrogates and a character cut off at the end', async () => {
    expect((await failure([[0x61, 0xc0, 0xaf]], check())).message).toContain('line 1, column 2: not UTF-8 (byte 0xC0)');
    expect((await failure([[0xed, 0xa0, 0x80]], check())).message).toContain('line 1, column 1: not UTF-8 (byte 0xED)');
    expect((await failure([[0x61, 0x0a, 0x62, 0xe2, 0x82]], check())).message).toContain('line 2, column 2: not UTF-8 (the last character is cut off)');
  });
});

describe('the transforms', () => {
  it('should re-encode Latin-1 / Windows-1252 to UTF-8 (é, €)', async () => {
    expect([...(await through([[0x63, 0x61, 0x66, 0xe9, 0x0a]], new CharsetToUtf8('latin1')))]).toEqual([0x63, 0x61, 0x66, 0xc3, 0xa9, 0x0a]);
    expect((await through([[0x80, 0x20], [0xe9]], new CharsetToUtf8('windows-1252'))).toString('utf8')).toBe('€ é');
  });

  it('should hold a UTF-16 character split across chunks until its second byte', async () => {
    expect((await through([[0xff, 0xfe, 0xe9], [0x00, 0x41], [0x00]], new CharsetToUtf8('utf-16le'))).toString('utf8')).toBe('éA');
  });

  it('should rewrite CRLF and lone CR to LF, a CR at a chunk boundary included', async () => {
    expect((await through(['a,b\r', '\n1,2\r\n3,4\r', 'x\r'], new LineEndings('lf'))).toString()).toBe('a,b\n1,2\n3,4\nx\n');
    expect((await through(['a\nb\r\nc\r', 'd'], new LineEndings('crlf'))).toString()).toBe('a\r\nb\r\nc\r\nd');
  });

  it('should strip a UTF-8 BOM, even split across chunks, and only at the start', async () => {
    expect([...(await through([[0xef], [0xbb, 0xbf, 0x61, 0xef, 0xbb, 0xbf]], new StripBom()))]).toEqual([0x61, 0xef, 0xbb, 0xbf]);
    expect([...(await through([[0xef, 0xbb]], new StripBom()))]).toEqual([0xef, 0xbb]);
    expect((await through(['id\n'], new StripBom())).toString()).toBe('id\n');
  });
});
