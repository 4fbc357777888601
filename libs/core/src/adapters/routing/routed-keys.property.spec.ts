import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OctoError } from '../../errors/octo-error.js';
import { FileProcessor } from '../../pipeline/file-processor.js';
import { decodeNameBytes, percentDecodeBytes, percentEncodeBytes } from '../../pipeline/name-bytes.js';
import { safeRelativeName } from '../../pipeline/safe-name.js';
import { sourcePathBytes, sourcePathOf } from '../../pipeline/source-path.js';
import type { Ledger, LedgerRecord } from '../../ports/ledger.js';
import type { ObjectStore, StagedObject } from '../../ports/object-store.js';
import type { RemoteSource } from '../../ports/remote-source.js';
import type { FileContext, FileFilter, SignatureVerifier, Unpacker } from '../../ports/stages.js';
import { isPlainName } from '../sftp/sftp-raw-names.js';
import { DefaultFolderNamer } from './default-folder-namer.js';
import { hostileName, nearTwinName, routedKeyProblem } from '../../testing/name-arbitraries.js';
import { DefaultRouter } from './default-router.js';

const anyBytes = fc.uint8Array({ maxLength: 40 });
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
      settings(3000),
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
      settings(3000),
    );
  });

  it('should map two names to one key only when they are the same path once normalised', () => {
    fc.assert(
      fc.property(fc.oneof(hostileName, nearTwinName), fc.oneof(hostileName, nearTwinName), (a, b) => {
        const [keyA, keyB] = [tryRoute(router, a, 'p'), tryRoute(router, b, 'p')];
        fc.pre(typeof keyA === 'string' && typeof keyB === 'string' && a !== b);
        expect(keyA === keyB).toBe(safeRelativeName(a, 'x') === safeRelativeName(b, 'x'));
      }),
      settings(3000),
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
      settings(3000),
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

  it('should land the distinct entries of one archive at distinct keys, or land nothing and say why', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.oneof(hostileName, nearTwinName), { minLength: 1, maxLength: 6 }), async (names) => {
        const run = processArchive(names);
        const normalised = names.map((name) => tryRoute(router, name, 'p'));
        const refusable = normalised.some((key) => typeof key !== 'string') || new Set(normalised).size < names.length;
        const outcome = await run.result;
        if (refusable) {
          expect(outcome).toBeInstanceOf(Error);
          expect(['unsafe', 'route']).toContain((outcome as OctoError).kind);
          expect(run.committed()).toBe(false);
          expect(run.records).toEqual([]);
        } else {
          expect(outcome).not.toBeInstanceOf(Error);
          expect(run.committed()).toBe(true);
          expect(run.records[0]?.outputs.map((output) => output.key)).toEqual(normalised);
        }
      }),
      settings(400),
    );
  });
});

async function* nothing<T>(): AsyncGenerator<T> {
  // An empty listing: the processor never asks for one here.
}

/** One archive whose entries have `names`, through the real FileProcessor and DefaultRouter over in-memory ports. */
function processArchive(names: readonly string[]) {
  let committed = false;
  const records: LedgerRecord[] = [];
  const source = {
    description: 'memory',
    list: async () => [],
    open: async () => Readable.from([Buffer.from('x')]),
    readSmall: async () => Buffer.alloc(0),
    close: async () => undefined,
  } satisfies RemoteSource;
  const store = {
    description: 'memory',
    begin: () => ({
      put: async (key: string, body: Readable): Promise<StagedObject> => ({ key, size: (await buffer(body)).length, sha256: '' }),
      discard: async () => undefined,
      commit: async () => void (committed = true),
      abort: async () => undefined,
    }),
    list: () => nothing(),
    get: async () => undefined,
    putSmall: async () => undefined,
    check: async () => undefined,
  } satisfies ObjectStore;
  const ledger = { pending: async () => [], record: async (record: LedgerRecord) => void records.push(record), records: () => nothing() } satisfies Ledger;
  const signatures: SignatureVerifier = { verify: async (input) => ({ stream: input, verified: Promise.resolve() }) };
  const unpacker: Unpacker = {
    async *unpack(input) {
      await buffer(input);
      for (const name of names) yield { name, stream: Readable.from([Buffer.from(name)]) };
    },
  };
  const filter: FileFilter = { accepts: () => true };
  const processor = new FileProcessor(source, store, ledger, signatures, { decrypt: async () => ({ stream: Readable.from([]), verified: Promise.resolve() }) }, unpacker, new DefaultRouter(new DefaultFolderNamer()), filter);
  const file = { path: 'bundle.tar', size: 1, mtimeMs: 0 };
  const result = processor.process(file, { provider: 'p', jobId: 'j', file }, () => undefined).catch((error: unknown) => error);
  return { result, records, committed: () => committed };
}
