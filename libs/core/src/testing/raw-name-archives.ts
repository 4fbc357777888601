import { crc32 } from 'node:zlib';

/** One member of a hand-built archive: its name as exact bytes. */
export interface RawNamedEntry {
  readonly name: Buffer;
  readonly body: Buffer | string;
  /** The tar type flag (default `0`, a regular file; `2` is a symbolic link). */
  readonly typeflag?: string;
}

/** How a tar member's name is written: in the ustar header, as a pax `path` record, or as a GNU long name. */
export type TarNameStyle = 'ustar' | 'pax' | 'gnu-long';

function tarHeader(name: Buffer, size: number, type: string): Buffer {
  const header = Buffer.alloc(512);
  name.copy(header, 0, 0, Math.min(100, name.length));
  header.write('0000644\0', 100, 'latin1');
  header.write('0000000\0', 108, 'latin1');
  header.write('0000000\0', 116, 'latin1');
  header.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  header.write(`${(1_700_000_000).toString(8).padStart(11, '0')}\0`, 136, 'latin1');
  header.write(type, 156, 'latin1');
  header.write('ustar\0', 257, 'latin1');
  header.write('00', 263, 'latin1');
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return header;
}

function padded(body: Buffer): Buffer {
  return Buffer.concat([body, Buffer.alloc((512 - (body.length % 512)) % 512)]);
}

/**
 * A tar whose member names are exact bytes (tests only): tar-stream's packer writes names as
 * UTF-8, which cannot make the Latin-1 names old tools write.
 */
export function rawNameTar(entries: readonly RawNamedEntry[], style: TarNameStyle = 'ustar'): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = Buffer.from(entry.body);
    if (style === 'pax') {
      const record = (length: number) => Buffer.concat([Buffer.from(`${length} path=`), entry.name, Buffer.from('\n')]);
      let length = record(0).length;
      while (record(length).length !== length) length = record(length).length;
      const pax = record(length);
      blocks.push(tarHeader(Buffer.from('PaxHeader/entry'), pax.length, 'x'), padded(pax));
      blocks.push(tarHeader(Buffer.from('placeholder'), body.length, '0'));
    } else if (style === 'gnu-long') {
      const long = Buffer.concat([entry.name, Buffer.from([0])]);
      blocks.push(tarHeader(Buffer.from('././@LongLink'), long.length, 'L'), padded(long));
      blocks.push(tarHeader(entry.name.subarray(0, 99), body.length, '0'));
    } else {
      blocks.push(tarHeader(entry.name, body.length, entry.typeflag ?? '0'));
    }
    blocks.push(padded(body));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** How a zip member's name is marked: no flag (CP437 by the spec), the UTF-8 flag, or an Info-ZIP Unicode Path field. */
export interface ZipNameMarking {
  readonly utf8Flag?: boolean;
  /** A UTF-8 name for the Info-ZIP Unicode Path extra field (0x7075); `crcOf` overrides the name its CRC covers. */
  readonly unicodePath?: string;
  readonly crcOf?: Buffer;
}

/** A zip of stored (uncompressed) members whose names are exact bytes (tests only; yazl always writes UTF-8). */
export function rawNameZip(entries: ReadonlyArray<RawNamedEntry & ZipNameMarking>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const body = Buffer.from(entry.body);
    const flags = entry.utf8Flag ? 0x800 : 0;
    const extra = entry.unicodePath === undefined ? Buffer.alloc(0) : unicodePathField(entry.crcOf ?? entry.name, entry.unicodePath);
    const crc = crc32(body);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt32LE(0x00210000, 10); // 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(body.length, 22);
    local.writeUInt16LE(entry.name.length, 26);
    local.writeUInt16LE(extra.length, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt32LE(0x00210000, 12);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(body.length, 24);
    central.writeUInt16LE(entry.name.length, 28);
    central.writeUInt16LE(extra.length, 30);
    central.writeUInt32LE(offset, 42);
    const localRecord = Buffer.concat([local, entry.name, extra, body]);
    locals.push(localRecord);
    centrals.push(Buffer.concat([central, entry.name, extra]));
    offset += localRecord.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

function unicodePathField(storedName: Buffer, unicode: string): Buffer {
  const name = Buffer.from(unicode, 'utf8');
  const field = Buffer.alloc(4 + 5 + name.length);
  field.writeUInt16LE(0x7075, 0);
  field.writeUInt16LE(5 + name.length, 2);
  field.writeUInt8(1, 4);
  field.writeUInt32LE(crc32(storedName), 5);
  name.copy(field, 9);
  return field;
}
