import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OctoError } from '../../errors/octo-error.js';
import { FileProcessor } from '../../pipeline/file-processor.js';
import { decodeNameBytes, percentDecodeBytes, percentEncodeBytes } from '../../rules/name-bytes.js';
import { safeRelativeName } from '../../rules/safe-name.js';
import { sourcePathBytes, sourcePathOf } from '../../rules/source-path.js';
import { KeyOwnership } from '../../pipeline/key-ownership.js';
import type { ProviderContext } from '../../ports/identifiers.js';
import type { LedgerRecord } from '../../ports/ledger.js';
import type { RemoteSource } from '../../ports/remote-source.js';
import type { Decryptor } from '../../ports/decryptor.js';
import type { FileContext } from '../../ports/file-context.js';
import type { FileHandler } from '../../ports/file-handler.js';
import type { SignatureVerifier } from '../../ports/signature-verifier.js';
import type { Unpacker } from '../../ports/unpacker.js';
import { ObjectStoreLedger } from '../ledger/object-store-ledger.js';
import { LocalObjectStore } from '../local/local-object-store.js';
import { isPlainName } from '../sftp/sftp-raw-names.js';
import { DefaultFolderNamer } from './default-folder-namer.js';
import { hostileName, nearTwinName, routedKeyProblem } from '../../testing/name-arbitraries.js';
import { DefaultRouter } from './default-router.js';
import { DefaultEntryTransform } from '../../transform/default-entry-transform.js';

const anyBytes = fc.uint8Array({ maxLength: 40 });
// The local store runs on a file system whose names hold 255 bytes per segment; longer ones are its own refusal, not routing's.
const storableName = hostileName.filter((name) => name.split('/').every((segment) => Buffer.byteLength(segment) <= 200));
// Shrinking 600-character names takes minutes; a failure is reported as found.
const settings = (numRuns: number) => ({ numRuns, endOnFailure: true });
const context = (provider: string): FileContext => ({ provider, jobId: 'j', file: { path: 'x', size: 1, mtimeMs: 0 } });

/** Routes, or returns the OctoError that refused the name; anything else thrown fails the property. */
function tryRoute(router: DefaultRouter, name: string, provider: string): string | OctoError {
  try {
    return router.route({ name }, context(provider));
  } catch (error) {
    if (OctoError.is(error)) return error;
    throw error;
  }
}

describe('routed keys, over arbitrary names (fast-check)', () => {
  const router = new DefaultRouter(new DefaultFolderNamer());

  it('should keep every key inside data/<type>/<provider>/ and valid for S3, or refuse the name as unsafe', () => {
    fc.assert(
      fc.property(hostileName, fc.constantFrom('acme-bank', 'example', 'p'), (name, provider) => {
        const key = tryRoute(router, name, provider);
        if (typeof key === 'string') expect(routedKeyProblem(key, provider)).toBeUndefined();
        else expect(['unsafe', 'route']).toContain(key.kind);
      }),
      settings(400),
    );
  });

  it('should keep a key inside its prefix whatever a folder rule returns', () => {
    fc.assert(
      fc.property(hostileName, hostileName, (name, folder) => {
        const hostile = new DefaultRouter({ folderFor: () => folder });
        const key = tryRoute(hostile, name, 'p');
        if (typeof key !== 'string') return void expect(['unsafe', 'route']).toContain(key.kind);
        expect(routedKeyProblem(key, safeRelativeName(folder, 'folder'))).toBeUndefined();
      }),
      settings(400),
    );
  });

  it('should map two names to one key only when they are the same path once normalised', () => {
    fc.assert(
      fc.property(fc.oneof(hostileName, nearTwinName), fc.oneof(hostileName, nearTwinName), (a, b) => {
        const [keyA, keyB] = [tryRoute(router, a, 'p'), tryRoute(router, b, 'p')];
        fc.pre(typeof keyA === 'string' && typeof keyB === 'string' && a !== b);
        expect(keyA === keyB).toBe(safeRelativeName(a, 'x') === safeRelativeName(b, 'x'));
      }),
      settings(400),
    );
  });

  it('should read the name of any bytes by the documented rule: UTF-8 when valid, else one character per byte, and keep the bytes exactly', () => {
    fc.assert(
      fc.property(anyBytes, anyBytes, fc.constantFrom('windows-1252' as const, 'cp437' as const), (a, b, fallback) => {
        const [nameA, nameB] = [decodeNameBytes(a, fallback), decodeNameBytes(b, fallback)];
        expect(Buffer.from(nameA.name, 'utf8').toString('utf8')).toBe(nameA.name);
        if (nameA.encoding === 'utf-8') expect(Buffer.from(nameA.name, 'utf8').equals(Buffer.from(a))).toBe(true);
        else expect([...nameA.name]).toHaveLength(a.length);
        // Under one rule, different bytes never read alike; a UTF-8 and a fallback reading may (listings refuse those).
        if (nameA.encoding === nameB.encoding && !Buffer.from(a).equals(Buffer.from(b))) expect(nameA.name).not.toBe(nameB.name);
        expect(percentDecodeBytes(percentEncodeBytes(a)).equals(Buffer.from(a))).toBe(true);
      }),
      settings(400),
    );
  });

  it('should name a listed source path without climbing, absolute or empty parts, and open it by its exact bytes', () => {
    const plainSegment = anyBytes.filter((bytes) => isPlainName(Buffer.from(bytes)) && !['.', '..'].includes(Buffer.from(bytes).toString('latin1')));
    fc.assert(
      fc.property(fc.array(plainSegment, { minLength: 1, maxLength: 5 }), (segments) => {
        const listed = sourcePathOf(segments.map((segment) => Buffer.from(segment)));
        const parts = listed.path.split('/');
        expect(parts).toHaveLength(segments.length);
        expect(parts.some((part) => part === '' || part === '.' || part === '..')).toBe(false);
        expect(sourcePathBytes(listed).equals(Buffer.concat(segments.flatMap((segment, i) => (i ? [Buffer.from('/'), segment] : [segment]))))).toBe(true);
        expect(listed.rawPath === undefined).toBe(segments.every((segment) => decodeNameBytes(segment).encoding === 'utf-8'));
      }),
      settings(2000),
    );
  });

  it('should refuse an archive whose two entries are one path once normalised, landing nothing', async () => {
    const { outcome, visible, records } = await processArchive(['a.csv', './a.csv']);
    expect(OctoError.is(outcome) && outcome.message).toBe(
      'bundle.tar: two entries would land at the same key data/csv/p/a.csv; rename one in the archive or change the folder rule',
    );
    expect([visible, records]).toEqual([[], []]);
  });

  it('should land the distinct entries of one archive at distinct keys, or land nothing and say why', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.oneof(storableName, { weight: 3, arbitrary: nearTwinName }), { minLength: 1, maxLength: 6 }), async (names) => {
        const keys = names.map((name) => tryRoute(router, name, 'p'));
        // `x` and `x/y` are two valid S3 keys that the local store cannot hold side by side; its
        // file-vs-folder clash is the store's own case (with its own spec), not routing's.
        fc.pre(!hasFileFolderClash(keys.filter((key): key is string => typeof key === 'string')));
        const { outcome, visible, records } = await processArchive(names);
        const refusable = keys.some((key) => typeof key !== 'string') || new Set(keys).size < names.length;
        if (refusable) {
          expect(OctoError.is(outcome) && ['unsafe', 'route'].includes(outcome.kind), String(outcome)).toBe(true);
          expect(visible).toEqual([]);
          expect(records).toEqual([]);
        } else {
          expect(OctoError.is(outcome), String(outcome)).toBe(false);
          expect(visible).toEqual([...(keys as string[])].sort());
          expect(records[0]?.outputs.map((output) => output.key)).toEqual(keys);
        }
      }),
      settings(400),
    );
  });
});

function hasFileFolderClash(keys: readonly string[]): boolean {
  return keys.some((a) => keys.some((b) => b.startsWith(`${a}/`)));
}

/**
 * One archive whose entries have `names`, through the real FileProcessor, DefaultRouter, key
 * ownership, ledger and local store (in a fresh temp folder); only the source and the unpacker
 * are stand-ins. Returns how it ended and what became visible.
 */
async function processArchive(names: readonly string[]) {
  const root = await mkdtemp(path.join(tmpdir(), 'octo-names-property-'));
  try {
    const store = new LocalObjectStore(root);
    const ledger = new ObjectStoreLedger(store);
    const provider = {
      name: 'p',
      config: { conflicts: 'fail' },
      workDir: path.join(root, 'work'),
      limits: { maxUnpackedBytes: 1024 ** 2, maxCompressionRatio: 1000, maxEntries: 100 },
    } as unknown as ProviderContext;
    const source: RemoteSource = {
      description: 'memory',
      list: async () => [],
      open: async () => Readable.from([Buffer.from('x')]),
      readSmall: async () => Buffer.alloc(0),
      close: async () => undefined,
    };
    const signatures: SignatureVerifier = { verify: async (input) => ({ stream: input, verified: Promise.resolve() }) };
    const decryptor: Decryptor = { decrypt: async () => ({ stream: Readable.from([]), verified: Promise.resolve() }) };
    const unpacker: Unpacker = {
      async *unpack(input) {
        await buffer(input);
        for (const name of names) yield { name, stream: Readable.from([Buffer.from(name)]) };
      },
    };
    const handler: FileHandler = { accepts: () => true, begin: () => ({}) };
    const router = new DefaultRouter(new DefaultFolderNamer());
    const processor = new FileProcessor(source, store, ledger, signatures, decryptor, unpacker, router, handler, new KeyOwnership(provider, store, ledger), provider, new DefaultEntryTransform());
    const file = { path: 'bundle.tar', size: 1, mtimeMs: 0 };
    const outcome = await processor.process(file, { provider: 'p', jobId: 'j', file }, () => undefined).catch((error: unknown) => error);
    const visible: string[] = [];
    for await (const object of store.list('data/')) visible.push(object.key);
    const records: LedgerRecord[] = [];
    for await (const record of ledger.records('p')) records.push(record);
    return { outcome, visible, records };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
