import { createHash } from 'node:crypto';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import yazl from 'yazl';
import { tarOf } from './archive-fixtures.js';
import { encryptBytes } from './pgp-fixtures.js';
import type { TestKeys } from './test-keys.js';

/** The mtime every test drop file gets, so the ledger sees the same files on every write. */
export const TEST_DROP_MTIME = new Date('2026-11-08T06:00:00Z');

type Encryption = 'passphrase' | 'key' | 'none';
type Packing = 'plain' | 'gzip' | 'tar.gz' | 'zip';

interface DropSpec {
  readonly file: string;
  readonly encryption: Encryption;
  readonly armored?: boolean;
  readonly packing: Packing;
  /** Output names (relative inside archives) and their plaintext. */
  readonly contents: ReadonlyArray<readonly [string, Buffer]>;
}

/** One file of the test drop and what it must land as. */
export interface TestDropFile {
  readonly file: string;
  /** Output name -> sha256 of its plaintext. */
  readonly outputs: Readonly<Record<string, string>>;
}

const csv = (title: string, rows: number) =>
  Buffer.from(`id,date,amount\n${Array.from({ length: rows }, (_, i) => `${i + 1},2026-11-${String((i % 28) + 1).padStart(2, '0')},${(((i + 1) * 7919) % 100_000) / 100},${title}\n`).join('')}`);
const xml = (root: string, items: number) =>
  Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<${root}>\n${Array.from({ length: items }, (_, i) => `  <item id="${i + 1}"/>\n`).join('')}</${root}>\n`);
// Not a renderable PDF: only the name's extension matters to the router.
const pdf = (title: string) => Buffer.from(`%PDF-1.4\n% ${title}\n%%EOF\n`, 'latin1');
const text = (title: string) => Buffer.from(`${title}\n\nA file of Octo's test drop.\n`);

const SPECS: readonly DropSpec[] = [
  { file: 'statements_20261101.csv.gpg', encryption: 'passphrase', packing: 'plain', contents: [['statements_20261101.csv', csv('statement', 40)]] },
  { file: 'invoice_20261102.pdf.asc', encryption: 'key', armored: true, packing: 'plain', contents: [['invoice_20261102.pdf', pdf('Invoice 2026-11-02')]] },
  { file: 'daily_20261103.csv.gz.gpg', encryption: 'key', packing: 'gzip', contents: [['daily_20261103.csv', csv('daily', 500)]] },
  {
    file: 'bundle_20261104.tar.gz.pgp',
    encryption: 'passphrase',
    packing: 'tar.gz',
    contents: [
      ['bundle/positions.csv', csv('position', 60)],
      ['bundle/manifest.xml', xml('manifest', 3)],
      ['bundle/summary.pdf', pdf('Summary 2026-11-04')],
      ['bundle/notes.txt', text('Bundle notes')],
    ],
  },
  {
    file: 'archive_20261105.zip.gpg',
    encryption: 'key',
    packing: 'zip',
    contents: [
      ['catalog.xml', xml('catalog', 5)],
      ['rates.json', Buffer.from('{"EUR":1,"USD":1.08}\n')],
    ],
  },
  { file: 'readme_20261106.txt', encryption: 'none', packing: 'plain', contents: [['readme_20261106.txt', text('Read me')]] },
  { file: 'orders_20261107.xml', encryption: 'none', packing: 'plain', contents: [['orders_20261107.xml', xml('orders', 4)]] },
  { file: 'ledger_20261108.csv.gz', encryption: 'none', packing: 'gzip', contents: [['ledger_20261108.csv', csv('ledger', 80)]] },
];

/** The test drop's files (sorted as listed) and the sha256 of every output each must land as. */
export function testDropFiles(): TestDropFile[] {
  return SPECS.map((spec) => ({ file: spec.file, outputs: Object.fromEntries(spec.contents.map(([name, bytes]) => [name, sha256(bytes)])) }));
}

/**
 * Writes the test drop into `dir`: eight dated files, encrypted to `keys`' public key or with
 * its passphrase (binary and armored), `.gz`, `.tar.gz`, `.zip` and plain, of csv, pdf, xml,
 * txt and json outputs. Plaintext is the same every time; every mtime is {@link TEST_DROP_MTIME}.
 */
export async function writeTestDrop(dir: string, keys: TestKeys): Promise<TestDropFile[]> {
  await mkdir(dir, { recursive: true });
  for (const spec of SPECS) {
    const packed = await pack(spec);
    const to = spec.encryption === 'key' ? { publicKey: keys.publicKey } : { passphrase: keys.passphrase };
    const bytes = spec.encryption === 'none' ? packed : await encryptBytes(packed, to, { armored: spec.armored ?? false });
    await writeDropFile(path.join(dir, spec.file), bytes);
  }
  return testDropFiles();
}

/**
 * Writes `count` plain CSV files of `bytes` each (`large_20261111.csv`, ...) into `dir`, to make a
 * job take a while; returns their names.
 */
export async function writeLargeCsvFiles(dir: string, options: { count: number; bytes: number }): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const names: string[] = [];
  for (let i = 1; i <= options.count; i += 1) {
    const name = `large_202611${String(10 + i).padStart(2, '0')}.csv`;
    await writeDropFile(path.join(dir, name), csvOfSize(options.bytes, i));
    names.push(name);
  }
  return names;
}

/** A plain CSV of exactly `bytes` bytes whose lines depend on `seed`. */
export function csvOfSize(bytes: number, seed: number): Buffer {
  const line = Buffer.from(`${seed},2026-11-08,ACC-${1000 + seed},123.45,EUR,a larger file to make the job take a while\n`);
  return Buffer.concat(Array.from({ length: Math.ceil(bytes / line.length) }, () => line)).subarray(0, bytes);
}

async function writeDropFile(file: string, bytes: Buffer): Promise<void> {
  await writeFile(file, bytes);
  await utimes(file, TEST_DROP_MTIME, TEST_DROP_MTIME);
}

async function pack(spec: DropSpec): Promise<Buffer> {
  const first = spec.contents[0]?.[1] ?? Buffer.alloc(0);
  switch (spec.packing) {
    case 'plain':
      return first;
    case 'gzip':
      return gzipSync(first);
    case 'tar.gz':
      return gzipSync(await tarOf(spec.contents));
    case 'zip':
      return zipOf(spec.contents);
  }
}

async function zipOf(contents: DropSpec['contents']): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, bytes] of contents) zip.addBuffer(bytes, name, { mtime: new Date('2026-11-05T00:00:00Z') });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
