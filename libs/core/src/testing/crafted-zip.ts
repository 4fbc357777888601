import { crc32, deflateRawSync } from 'node:zlib';

/** What a zip header says about one entry; a crafted archive may make the headers disagree. */
export interface ZipHeaderFields {
  readonly name: string;
  /** 0 stored, 8 deflate. */
  readonly method: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  /** General purpose flags; default 0x0800 (UTF-8 names). */
  readonly flags?: number;
}

/** One local record: a header and its data, written in order. */
export interface CraftedRecord {
  readonly name: string;
  readonly content: Buffer;
  readonly method?: 0 | 8;
  /** Overrides what the local header says (to make it lie). */
  readonly local?: Partial<ZipHeaderFields>;
}

/** One central-directory entry, pointing at a record (or at any offset). */
export interface CraftedCentralEntry extends Partial<ZipHeaderFields> {
  /** Index of the record whose header and sizes it copies. */
  readonly record: number;
  /** Local header offset; defaults to the record's. */
  readonly offset?: number;
}

/** The header fields and local bytes of `content` stored or deflated as `name`. */
export function zipRecordBytes(record: CraftedRecord): { fields: ZipHeaderFields; bytes: Buffer } {
  const method = record.method ?? 0;
  const data = method === 8 ? deflateRawSync(record.content) : record.content;
  const fields: ZipHeaderFields = { name: record.name, method, crc32: crc32(record.content), compressedSize: data.length, uncompressedSize: record.content.length };
  const local = { ...fields, ...record.local };
  const name = Buffer.from(local.name);
  const header = Buffer.alloc(30);
  header.writeUInt32LE(0x04034b50, 0);
  header.writeUInt16LE(20, 4);
  header.writeUInt16LE(local.flags ?? 0x0800, 6);
  header.writeUInt16LE(local.method, 8);
  header.writeUInt32LE(local.crc32 >>> 0, 14);
  header.writeUInt32LE(local.compressedSize, 18);
  header.writeUInt32LE(local.uncompressedSize, 22);
  header.writeUInt16LE(name.length, 26);
  return { fields, bytes: Buffer.concat([header, name, data]) };
}

/**
 * A zip archive built byte by byte (tests only), so a test can make what yazl never writes:
 * central entries that share or overlap one body, headers whose sizes disagree, wrong sizes.
 * Without `central`, every record gets its own truthful entry.
 */
export function craftZip(records: readonly CraftedRecord[], central?: readonly CraftedCentralEntry[]): Buffer {
  const parts: Buffer[] = [];
  const written: Array<{ fields: ZipHeaderFields; offset: number }> = [];
  let offset = 0;
  for (const record of records) {
    const { fields, bytes } = zipRecordBytes(record);
    written.push({ fields, offset });
    parts.push(bytes);
    offset += bytes.length;
  }
  const entries: readonly CraftedCentralEntry[] = central ?? records.map((_, record) => ({ record }));
  const directory: Buffer[] = [];
  for (const entry of entries) {
    const base = written[entry.record];
    if (!base) throw new Error(`no record ${entry.record}`);
    const fields = { ...base.fields, ...entry };
    const name = Buffer.from(fields.name);
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(fields.flags ?? 0x0800, 8);
    header.writeUInt16LE(fields.method, 10);
    header.writeUInt32LE(fields.crc32 >>> 0, 16);
    header.writeUInt32LE(fields.compressedSize, 20);
    header.writeUInt32LE(fields.uncompressedSize, 24);
    header.writeUInt16LE(name.length, 28);
    header.writeUInt32LE(entry.offset ?? base.offset, 42);
    directory.push(header, name);
  }
  const cd = Buffer.concat(directory);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cd, end]);
}
