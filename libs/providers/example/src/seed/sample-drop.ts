import { createHash } from 'node:crypto';
import { mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as openpgp from 'openpgp';
import * as tar from 'tar-stream';
import yazl from 'yazl';
import { csv, pdf, text, xml } from './sample-content.js';

/** Folder of the demo keys shipped with the example provider (never use them for real data). */
export const DEMO_KEYS_DIR = fileURLToPath(new URL('../../demo-keys/', import.meta.url));

type Encryption = 'passphrase' | 'key' | 'none';
type Packing = 'plain' | 'gzip' | 'tar.gz' | 'zip';

interface SampleSpec {
  readonly file: string;
  readonly encryption: Encryption;
  readonly armored?: boolean;
  readonly packing: Packing;
  /** Output names (relative inside archives) and their plaintext. */
  readonly contents: ReadonlyArray<readonly [string, Buffer]>;
}

/** One file of the sample drop and what it must land as. */
export interface SampleFile {
  readonly file: string;
  /** Output name -> sha256 of its plaintext. */
  readonly outputs: Readonly<Record<string, string>>;
}

const SPECS: readonly SampleSpec[] = [
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

/** The sample drop's files and the sha256 of every output they must land as. */
export function sampleFiles(): SampleFile[] {
  return SPECS.map((spec) => ({
    file: spec.file,
    outputs: Object.fromEntries(spec.contents.map(([name, bytes]) => [name, sha256(bytes)])),
  }));
}

/**
 * Writes the sample drop into `dir`: passphrase- and key-encrypted, `.gz`, `.tar.gz`,
 * `.zip` and plain files with csv, pdf, xml and other types. Contents are the same every
 * time; mtimes are fixed so the ledger sees the same files on every seed.
 */
export async function writeSampleDrop(dir: string, keysDir = DEMO_KEYS_DIR): Promise<SampleFile[]> {
  await mkdir(dir, { recursive: true });
  const publicKey = await openpgp.readKey({ armoredKey: await readFile(path.join(keysDir, 'public.asc'), 'utf8') });
  const passphrase = (await readFile(path.join(keysDir, 'passphrase.txt'), 'utf8')).trim();
  const mtime = new Date('2026-11-08T06:00:00Z');
  for (const spec of SPECS) {
    const packed = await pack(spec);
    const bytes = spec.encryption === 'none' ? packed : await encrypt(packed, spec, publicKey, passphrase);
    const target = path.join(dir, spec.file);
    await writeFile(target, bytes);
    await utimes(target, mtime, mtime);
  }
  return sampleFiles();
}

async function pack(spec: SampleSpec): Promise<Buffer> {
  const [first] = spec.contents;
  switch (spec.packing) {
    case 'plain':
      return first![1];
    case 'gzip':
      return gzipSync(first![1]);
    case 'tar.gz':
      return gzipSync(await tarOf(spec.contents));
    case 'zip':
      return zipOf(spec.contents);
  }
}

async function tarOf(contents: SampleSpec['contents']): Promise<Buffer> {
  const archive = tar.pack();
  for (const [name, bytes] of contents) archive.entry({ name, size: bytes.length, mtime: new Date('2026-11-04T00:00:00Z') }, bytes);
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

async function zipOf(contents: SampleSpec['contents']): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, bytes] of contents) zip.addBuffer(bytes, name, { mtime: new Date('2026-11-05T00:00:00Z') });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function encrypt(bytes: Buffer, spec: SampleSpec, publicKey: openpgp.Key, passphrase: string): Promise<Buffer> {
  const message = await openpgp.createMessage({ binary: new Uint8Array(bytes) });
  const keys = spec.encryption === 'key' ? { encryptionKeys: publicKey } : { passwords: [passphrase] };
  if (spec.armored) {
    return Buffer.from(await openpgp.encrypt({ message, ...keys, format: 'armored' }), 'utf8');
  }
  return Buffer.from(await openpgp.encrypt({ message, ...keys, format: 'binary' }));
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
