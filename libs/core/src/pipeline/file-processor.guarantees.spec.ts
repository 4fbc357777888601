import { appendFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalRemoteSource } from '../adapters/local/local-remote-source.js';
import { OctoError } from '../errors/octo-error.js';
import type { JobSummary } from '../ports/job-events.js';
import type { RemoteFile } from '../ports/remote-source.js';
import type { Decrypted, Decryptor } from '../ports/decryptor.js';
import type { FileContext } from '../ports/file-context.js';
import type { Checked, SignatureVerifier } from '../ports/signature-verifier.js';
import { listBucketFiles, listFiles } from '../testing/files.js';
import { createTempWorkspace, overridingProvider, type TempWorkspace } from '../testing/temp-workspace.js';
import { FileProcessor } from './file-processor.js';

const workspaces: TempWorkspace[] = [];

afterEach(async () => {
  await Promise.all(workspaces.splice(0).map((w) => w.cleanup()));
});

async function workspace(): Promise<TempWorkspace> {
  const w = await createTempWorkspace({ secrets: { 'pass.txt': 'open sesame' }, providerConfig: { decryption: { passphrase: 'file:pass.txt' } }, config: { concurrency: 1 } });
  workspaces.push(w);
  return w;
}

async function sync(w: TempWorkspace, overrides: Parameters<typeof overridingProvider>[1]): Promise<JobSummary> {
  return (await (await w.runtime([overridingProvider('plain', overrides)])).jobs.start('plain')).done;
}

/** Every file's outcome as `path: status[: kind: reason]`. */
const outcomes = (summary: JobSummary) => summary.files.map((f) => (f.status === 'failed' ? `${f.path}: failed: ${f.kind}: ${f.reason}` : `${f.path}: ${f.status}`));

/** A local drop whose files change between the listing and the read, as a partner still writing does. */
class ChangingLocalSource extends LocalRemoteSource {
  constructor(
    private readonly dir: string,
    private readonly change: (file: string) => Promise<void>,
  ) {
    super(dir);
  }

  override async open(file: RemoteFile, options?: { offset?: number; signal?: AbortSignal }): Promise<Readable> {
    await this.change(path.join(this.dir, file.path));
    return super.open(file, options);
  }
}

/** A verdict that comes after the last byte has flowed: the stream ends cleanly, the check fails later. */
function lateVerdict(input: Readable, error: OctoError): Checked {
  const stream = new PassThrough();
  input.pipe(stream);
  const verified = new Promise<void>((_, reject) => stream.once('end', () => setTimeout(() => reject(error), 50)));
  // The processor awaits it once the stream is drained; until then nothing else may see it as unhandled.
  verified.catch(() => undefined);
  return { stream, verified };
}

describe(FileProcessor, () => {
  describe('when a local file is not the size the listing gave', () => {
    it('should fail a file that grew since the listing, naming both sizes, and land nothing of it', async () => {
      const w = await workspace();
      await writeFile(path.join(w.dropDir, 'grows.csv'), 'id\n1\n');
      await writeFile(path.join(w.dropDir, 'stays.csv'), 'id\n2\n');
      const source = new ChangingLocalSource(w.dropDir, async (file) => {
        if (file.endsWith('grows.csv')) await appendFile(file, '3\n');
      });
      const summary = await sync(w, { remoteSource: source });
      expect(outcomes(summary)).toEqual([
        'grows.csv: failed: source: grows.csv: read 7 bytes but the source listed 5; the file changed or the transfer was cut, it will be retried next run',
        'stays.csv: done',
      ]);
      expect(await listFiles(path.join(w.bucketDir, 'data'))).toEqual(['csv/plain/stays.csv']);
      expect(await listFiles(path.join(w.bucketDir, '_octo/ledger'))).toHaveLength(1);
    });

    it('should fail a file cut short since the listing the same way', async () => {
      const w = await workspace();
      await writeFile(path.join(w.dropDir, 'shrinks.csv'), 'id\n1\n2\n');
      const source = new ChangingLocalSource(w.dropDir, (file) => truncate(file, 3));
      const summary = await sync(w, { remoteSource: source });
      expect(outcomes(summary)).toEqual([
        'shrinks.csv: failed: source: shrinks.csv: read 3 bytes but the source listed 7; the file changed or the transfer was cut, it will be retried next run',
      ]);
      expect(await listBucketFiles(w.bucketDir)).toEqual([]);
    });
  });

  describe('when a check gives its verdict after the last byte', () => {
    it('should stop the file on a late signature verdict: no object lands, no record is written', async () => {
      const w = await workspace();
      await writeFile(path.join(w.dropDir, 'signed.csv'), 'id\n1\n');
      const verifier: SignatureVerifier = {
        verify: async (input: Readable, context: FileContext) =>
          lateVerdict(input, new OctoError('signature', `${context.file.path}: the signature was made over other bytes`)),
      };
      const summary = await sync(w, { signatureVerifier: verifier });
      expect(outcomes(summary)).toEqual(['signed.csv: failed: signature: signed.csv: the signature was made over other bytes']);
      expect(await listBucketFiles(w.bucketDir)).toEqual([]);
    });

    it('should stop the file on a late decryption verdict: no object lands, no record is written', async () => {
      const w = await workspace();
      await writeFile(path.join(w.dropDir, 'sealed.csv.gpg'), 'id\n1\n');
      const decryptor: Decryptor = {
        decrypt: async (input: Readable, context: FileContext): Promise<Decrypted> =>
          lateVerdict(input, new OctoError('decrypt', `${context.file.path} failed its integrity check`)),
      };
      const summary = await sync(w, { decryptor });
      expect(outcomes(summary)).toEqual(['sealed.csv.gpg: failed: decrypt: sealed.csv.gpg failed its integrity check']);
      expect(await listBucketFiles(w.bucketDir)).toEqual([]);
    });
  });
});
