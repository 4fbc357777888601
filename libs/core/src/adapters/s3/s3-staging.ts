import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  UploadPartCommand,
  type ChecksumAlgorithm,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { OctoError } from '../../errors/octo-error.js';
import type { Logger } from '../../ports/logger.js';
import type { CommitOptions, ObjectMetadata, PutOptions, StagedObject, StagedRef, Staging } from '../../ports/object-store.js';
import { unownedObjectError } from '../unowned-object-error.js';
import { assertSafeKey } from '../local/object-key.js';
import { multipartETag } from './multipart-etag.js';
import type { PartBufferPool } from './part-buffer-pool.js';
import { DEFAULT_PART_SIZE_MIB, DEFAULT_QUEUE_SIZE, partSizeFor, S3_LIMITS } from './part-size.js';
import { storeError } from './s3-errors.js';
import { splitMetadata } from './s3-metadata.js';
import type { S3ObjectStore, S3ObjectStoreOptions } from './s3-object-store.js';
import { signWithoutPayloadHash } from './unsigned-payload.js';

/**
 * Largest output written whole at commit: one request instead of five (journal entry,
 * CreateMultipartUpload, UploadPart, CompleteMultipartUpload, journal removal).
 */
export const WHOLE_PUT_MAX_BYTES = 1024 * 1024;

/** Bytes one staging keeps in memory for whole puts; outputs past it are staged as multipart uploads. */
export const WHOLE_PUT_STAGING_BYTES = 8 * 1024 * 1024;

/**
 * The handle a commit intent records for an output held in memory until commit: no staged
 * bytes survive the process, so a later run finds it landed (HeadObject) or rolls the file back.
 */
export const WHOLE_PUT_REF = 'octo:put-at-commit';

interface UploadState {
  readonly key: string;
  readonly s3Key: string;
  /** The multipart upload's id, or {@link WHOLE_PUT_REF} for an output held in {@link UploadState.whole}. */
  readonly uploadId: string;
  /** The bytes of an output written with one PutObject at commit (no multipart upload exists). */
  whole?: Buffer;
  readonly metadata?: ObjectMetadata;
  state: 'uploading' | 'staged' | 'completed' | 'aborted';
  parts: CompletedPart[];
  size: number;
  /** Complete only if the key holds no object (If-None-Match: *). */
  readonly ifAbsent?: boolean;
  sha256?: string;
}

/** One source file's outputs in S3: open multipart uploads, or bytes held for one PutObject, until commit makes them all visible. */
export class S3Staging implements Staging {
  private readonly uploads: UploadState[] = [];
  private closed = false;
  private spent = false;
  private aborted = false;
  /** A commit refused for an object it may not replace: the refusal does not change on retry. */
  private refusal?: OctoError;
  private readonly algorithm: ChecksumAlgorithm;
  /** Bytes held for whole puts, bounded by {@link WHOLE_PUT_STAGING_BYTES}. */
  private wholeBytes = 0;
  /** Outputs whose whole put carried the commit's tags (one request instead of two). */
  private readonly taggedKeys: string[] = [];

  constructor(
    private readonly store: S3ObjectStore,
    private readonly options: S3ObjectStoreOptions,
    private readonly logger: Logger,
    private readonly parts: PartBufferPool,
    /** Marked on every upload (`octo-run-id`), so an auditor can tie an open upload to its job. */
    private readonly runId?: string,
  ) {
    this.algorithm = options.checksumAlgorithm ?? 'CRC32';
  }

  /** Takes over one output of a dead run (see {@link S3ObjectStore.resume}). */
  adopt(ref: StagedRef, parts: CompletedPart[], size: number, state: 'staged' | 'completed'): void {
    this.closed = true;
    this.uploads.push({ key: ref.key, s3Key: this.store.keyOf(ref.key), uploadId: ref.ref, state, parts, size, sha256: ref.sha256, ...(ref.ifAbsent ? { ifAbsent: true } : {}) });
  }

  refs(): StagedRef[] {
    return this.uploads
      .filter((upload) => upload.state === 'staged' || upload.state === 'completed')
      .map((upload) => ({ key: upload.key, size: upload.size, sha256: upload.sha256 ?? '', ref: upload.uploadId, ...(upload.ifAbsent ? { ifAbsent: true } : {}) }));
  }

  async rollback(): Promise<void> {
    this.closed = true;
    this.spent = true;
    await this.abortAll();
    await inBatches(
      this.uploads.filter((upload) => upload.state === 'completed'),
      async (upload) => {
        await this.store.delete(upload.key);
        upload.state = 'aborted';
      },
    );
    await this.clearJournal();
  }

  /** Notes the key in the run's staging journal before its upload exists (see {@link S3ObjectStore.journalKey}). */
  private async journal(key: string): Promise<void> {
    if (!this.runId) return;
    await this.store.putSmall(this.store.journalKey(this.runId, key), '');
  }

  /** Once no upload of this staging is open any more, its journal entries go. */
  private async clearJournal(): Promise<void> {
    if (!this.runId || this.uploads.some((upload) => upload.state === 'uploading' || upload.state === 'staged')) return;
    const runId = this.runId;
    const journaled = this.uploads.filter((upload) => upload.uploadId !== WHOLE_PUT_REF);
    if (journaled.length === 0) return;
    await this.store.deleteMany([...new Set(journaled.map((upload) => this.store.journalKey(runId, upload.key)))]).catch((error: unknown) => {
      // Left-over entries are only names; the next run of the provider removes them.
      this.logger.warn('could not remove staging journal entries', { store: this.store.description, error: (error as Error).message });
    });
  }

  async put(key: string, body: Readable, metadata: ObjectMetadata = {}, options: PutOptions = {}): Promise<StagedObject> {
    assertSafeKey(key);
    if (this.closed) throw new OctoError('internal', 'staging already committed or aborted');
    const s3Key = this.store.keyOf(key);
    const { contentType, userMetadata } = splitMetadata(metadata);
    // The body may fail (a cancelled job, a bad gzip) while CreateMultipartUpload is in flight,
    // before anything reads it: keep that from being an unhandled 'error' event. The read loop
    // below sees the stored error and aborts the upload.
    body.on('error', () => undefined);
    // A second put of a key in one staging replaces the first, as a local rename would.
    await this.discard(key);
    const chunks = (body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    let head: BodyHead;
    try {
      head = await this.readHead(key, chunks);
    } catch (error) {
      body.destroy();
      throw storeError(error, `cannot upload ${key} to ${this.store.description}`);
    }
    if (head.ended && this.wholeBytes + head.bytes <= WHOLE_PUT_STAGING_BYTES) return this.holdWhole(key, s3Key, Buffer.concat(head.chunks, head.bytes), metadata, options);

    let upload: UploadState;
    try {
      await this.journal(key);
      const created = await this.store.client.send(
        new CreateMultipartUploadCommand({
          Bucket: this.store.bucket,
          Key: s3Key,
          ContentType: contentType,
          Metadata: this.runId ? { ...userMetadata, 'octo-run-id': this.runId } : userMetadata,
          ChecksumAlgorithm: this.algorithm,
          // CRC64NVME exists only as a full-object checksum; the others compose per part.
          ...(this.algorithm === 'CRC64NVME' ? { ChecksumType: 'FULL_OBJECT' as const } : {}),
          ...this.store.encryption(),
        }),
      );
      if (!created.UploadId) throw new Error('the server returned no UploadId');
      upload = { key, s3Key, uploadId: created.UploadId, state: 'uploading', parts: [], size: 0, ...(options.ifAbsent ? { ifAbsent: true } : {}) };
      this.uploads.push(upload);
    } catch (error) {
      body.destroy();
      throw storeError(error, `cannot start the upload of ${key} to ${this.store.description}`);
    }

    const hash = createHash('sha256');
    const base = this.options.partSizeBytes ?? DEFAULT_PART_SIZE_MIB * 1024 * 1024;
    const queueSize = Math.max(1, this.options.queueSize ?? DEFAULT_QUEUE_SIZE);
    const inFlight = new Set<Promise<void>>();
    let failure: unknown;
    let partNumber = 0;
    const send = (part: Buffer) => {
      partNumber += 1;
      if (partNumber > S3_LIMITS.maxParts) throw new OctoError('store', `${key} needs more than ${S3_LIMITS.maxParts} parts: raise store.partSizeMiB`);
      const number = partNumber;
      const task = this.uploadPart(upload, number, part).then(
        (completed) => {
          upload.parts[number - 1] = completed;
        },
        (error: unknown) => {
          failure ??= error;
        },
      ).finally(() => this.parts.give(part));
      inFlight.add(task);
      void task.finally(() => inFlight.delete(task));
    };

    try {
      // Each chunk is copied straight into a part buffer, reused once its upload settles:
      // memory stays at the parts in flight plus the one being filled.
      let part: Buffer | undefined;
      let filled = 0;
      for await (const chunk of replayed(head.chunks, chunks)) {
        if (failure) break;
        hash.update(chunk);
        upload.size += chunk.length;
        let offset = 0;
        while (offset < chunk.length && !failure) {
          part ??= this.parts.take(partSizeFor(partNumber + 1, base));
          const copied = chunk.copy(part, filled, offset);
          filled += copied;
          offset += copied;
          if (filled === part.length) {
            send(part);
            part = undefined;
            filled = 0;
            // Bounded memory: wait for a free slot before reading more.
            while (inFlight.size >= queueSize && !failure) await Promise.race(inFlight);
          }
        }
        if (this.closed) throw new OctoError('store', `${key}: the staging was aborted while the upload ran`);
      }
      // The last part (or the only, possibly empty, one): a right-sized copy, so the part
      // buffer goes back to the pool now.
      if (!failure && (filled > 0 || partNumber === 0)) send(Buffer.from(part ? part.subarray(0, filled) : Buffer.alloc(0)));
      if (part) this.parts.give(part);
      part = undefined;
      await Promise.all(inFlight);
      if (failure) throw failure;
      assertAllParts(upload, partNumber);
      upload.state = 'staged';
      upload.sha256 = hash.digest('hex');
      return { key, size: upload.size, sha256: upload.sha256 };
    } catch (error) {
      body.destroy();
      await Promise.allSettled(inFlight);
      // Abort again even if abort() already ran: a part still in flight then may have
      // re-created storage, and S3 asks for another abort once parts have settled.
      if (upload.state === 'aborted') upload.state = 'uploading';
      // The upload's own error is the one to report; abortUpload logs a failed abort.
      await this.abortUpload(upload).catch(() => undefined);
      throw storeError(error, `cannot upload ${key} to ${this.store.description}`);
    }
  }

  /**
   * Reads the body until it ends or passes the whole-put size: a body that ends in time is
   * held in memory for one PutObject at commit, a longer one continues as a multipart upload.
   */
  private async readHead(key: string, chunks: AsyncIterator<Buffer>): Promise<BodyHead> {
    const limit = this.options.wholePutMaxBytes ?? WHOLE_PUT_MAX_BYTES;
    const head: Buffer[] = [];
    let bytes = 0;
    while (limit > 0 && bytes <= limit) {
      const next = await chunks.next();
      if (next.done) return { chunks: head, bytes, ended: true };
      head.push(next.value);
      bytes += next.value.length;
      if (this.closed) throw new OctoError('store', `${key}: the staging was aborted while the upload ran`);
    }
    return { chunks: head, bytes, ended: false };
  }

  /** Stages a small output in memory; {@link S3Staging.commit} writes it with one PutObject. */
  private holdWhole(key: string, s3Key: string, whole: Buffer, metadata: ObjectMetadata, options: PutOptions): StagedObject {
    if (this.closed) throw new OctoError('store', `${key}: the staging was aborted while the upload ran`);
    const sha256 = createHash('sha256').update(whole).digest('hex');
    this.wholeBytes += whole.length;
    this.uploads.push({ key, s3Key, uploadId: WHOLE_PUT_REF, whole, metadata, state: 'staged', parts: [], size: whole.length, sha256, ...(options.ifAbsent ? { ifAbsent: true } : {}) });
    return { key, size: whole.length, sha256 };
  }

  /** Lets go of a whole put's bytes once it landed or was dropped. */
  private releaseWhole(upload: UploadState): void {
    if (!upload.whole) return;
    this.wholeBytes -= upload.whole.length;
    upload.whole = undefined;
  }

  /**
   * Writes a whole put with the commit's tags (with `If-None-Match: *` for a key no source owned).
   * A 412 on a retry whose first try landed meets this run's own object: same size, same `octo-run-id`.
   */
  private async putWhole(upload: UploadState, whole: Buffer, tags: CommitOptions['tags']): Promise<void> {
    const metadata = this.runId ? { ...upload.metadata, 'octo-run-id': this.runId } : (upload.metadata ?? {});
    if (await this.store.putObject(upload.key, whole, metadata, { ifAbsent: upload.ifAbsent, tags })) return;
    if (this.runId) {
      const head = await this.store.client.send(new HeadObjectCommand({ Bucket: this.store.bucket, Key: upload.s3Key })).catch(() => undefined);
      if (head?.ContentLength === whole.length && head.Metadata?.['octo-run-id'] === this.runId) return;
    }
    throw unownedObjectError(upload.key, new Error('PreconditionFailed (HTTP 412)'));
  }

  async discard(key: string): Promise<void> {
    for (const upload of this.uploads) {
      if (upload.key === key && upload.state !== 'completed') await this.abortUpload(upload);
    }
  }

  /**
   * Completes every staged upload. A failure leaves the others as they are, so the caller may
   * call commit again (only the uploads still staged are completed) or roll back.
   */
  async commit(options: CommitOptions = {}): Promise<void> {
    if (this.spent) throw new OctoError('internal', 'staging already rolled back');
    if (this.aborted) throw new OctoError('internal', 'staging already aborted: its outputs were dropped, there is nothing to commit');
    if (this.refusal) throw this.refusal;
    this.closed = true;
    const pending = this.uploads.filter((upload) => upload.state === 'staged');
    try {
      await inBatches(pending, (upload) => this.complete(upload, options.tags));
    } catch (error) {
      // A refusal (an object this put may not replace) does not change on retry: drop what is still open.
      if (OctoError.is(error) && error.kind !== 'store') {
        this.refusal = error;
        await this.abortAll().catch(() => undefined);
      }
      throw storeError(error, `cannot commit the outputs in ${this.store.description}`);
    }
    await this.clearJournal();
  }

  async abort(): Promise<void> {
    this.closed = true;
    this.aborted = true;
    await this.abortAll();
    await this.clearJournal();
  }

  private async abortAll(): Promise<void> {
    const failures: string[] = [];
    const open = this.uploads.filter((upload) => upload.state !== 'completed' && upload.state !== 'aborted');
    await inBatches(open, (upload) =>
      this.abortUpload(upload).catch((error: unknown) => {
        failures.push(`${upload.key}: ${(error as Error).message}`);
      }),
    );
    if (failures.length > 0) {
      this.logger.error('multipart uploads left open', { store: this.store.description, failures });
      throw new OctoError('store', `could not abort every multipart upload in ${this.store.description} (${failures.join('; ')}); a bucket lifecycle rule (AbortIncompleteMultipartUpload) removes them`);
    }
  }

  private async uploadPart(upload: UploadState, partNumber: number, body: Buffer): Promise<CompletedPart> {
    const command = new UploadPartCommand({
      Bucket: this.store.bucket,
      Key: upload.s3Key,
      UploadId: upload.uploadId,
      PartNumber: partNumber,
      Body: body,
      ContentLength: body.length,
      ChecksumAlgorithm: this.algorithm,
    });
    signWithoutPayloadHash(command);
    const answer = await this.store.client.send(command);
    if (!answer.ETag) throw new OctoError('store', `${upload.key}: part ${partNumber} was not acknowledged (no ETag)`);
    const checksumField = `Checksum${this.algorithm}` as const;
    const checksum = answer[checksumField];
    return { PartNumber: partNumber, ETag: answer.ETag, ...(checksum ? { [checksumField]: checksum } : {}) };
  }

  tagged(): readonly string[] {
    return this.taggedKeys;
  }

  private async complete(upload: UploadState, tags: CommitOptions['tags']): Promise<void> {
    if (upload.whole) {
      await this.putWhole(upload, upload.whole, tags);
      upload.state = 'completed';
      if (tags && Object.keys(tags).length > 0) this.taggedKeys.push(upload.key);
      this.releaseWhole(upload);
      return;
    }
    try {
      await this.store.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.store.bucket,
          Key: upload.s3Key,
          UploadId: upload.uploadId,
          MultipartUpload: { Parts: upload.parts },
          // S3 checks the total against what it holds: a missing part cannot complete.
          MpuObjectSize: upload.size,
          ...(upload.ifAbsent ? { IfNoneMatch: '*' } : {}),
        }),
      );
    } catch (error) {
      if (upload.ifAbsent && (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 412) {
        // A retried completion whose first try succeeded meets its own object: same multipart ETag.
        if (await this.landedAsThisUpload(upload)) {
          upload.state = 'completed';
          return;
        }
        throw unownedObjectError(upload.key, error);
      }
      // A retried completion whose first try succeeded finds no upload: check the object.
      if ((error as { name?: string }).name === 'NoSuchUpload' && (await this.landed(upload))) {
        upload.state = 'completed';
        return;
      }
      throw error;
    }
    upload.state = 'completed';
  }

  /** The key holds exactly this upload's object: its ETag is the md5 of the parts' md5s, dash, part count. */
  private async landedAsThisUpload(upload: UploadState): Promise<boolean> {
    try {
      const head = await this.store.client.send(new HeadObjectCommand({ Bucket: this.store.bucket, Key: upload.s3Key }));
      return head.ETag === multipartETag(upload.parts);
    } catch {
      return false;
    }
  }

  private async landed(upload: UploadState): Promise<boolean> {
    try {
      const head = await this.store.client.send(new HeadObjectCommand({ Bucket: this.store.bucket, Key: upload.s3Key }));
      return head.ContentLength === upload.size;
    } catch {
      return false;
    }
  }

  private async abortUpload(upload: UploadState): Promise<void> {
    if (upload.state === 'aborted' || upload.state === 'completed') return;
    if (upload.uploadId === WHOLE_PUT_REF) {
      // Nothing was sent for it: dropping the bytes is the abort.
      this.releaseWhole(upload);
      upload.state = 'aborted';
      return;
    }
    let lastError: unknown;
    // The SDK retries each request; a few more tries outlast a longer outage.
    const attempts = 3;
    for (let attempt = 0; attempt < attempts; attempt += 1) {
      try {
        await this.store.client.send(new AbortMultipartUploadCommand({ Bucket: this.store.bucket, Key: upload.s3Key, UploadId: upload.uploadId }));
        upload.state = 'aborted';
        return;
      } catch (error) {
        if ((error as { name?: string }).name === 'NoSuchUpload') {
          upload.state = 'aborted';
          return;
        }
        lastError = error;
        if (attempt + 1 < attempts) await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
      }
    }
    this.logger.error('could not abort a multipart upload', { bucket: this.store.bucket, key: upload.s3Key, uploadId: upload.uploadId, error: (lastError as Error)?.message });
    throw storeError(lastError, `cannot abort the upload of ${upload.key}`);
  }
}

/** What {@link S3Staging.readHead} read of a body before deciding how to stage it. */
interface BodyHead {
  readonly chunks: Buffer[];
  readonly bytes: number;
  readonly ended: boolean;
}

/** The chunks already read, then the rest of the body. */
async function* replayed(head: readonly Buffer[], rest: AsyncIterator<Buffer>): AsyncIterable<Buffer> {
  yield* head;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}

/** Runs `work` over `items` 8 at a time: each is one small request, and a tar of many entries should not cost a round trip apiece. */
async function inBatches<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  for (let index = 0; index < items.length; index += 8) {
    // Settle the whole batch before failing: a caller that rolls back must see every request's outcome.
    const results = await Promise.allSettled(items.slice(index, index + 8).map(work));
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

/** Every part from 1 to `count` is present and acknowledged, or the upload must not complete. */
function assertAllParts(upload: UploadState, count: number): void {
  for (let number = 1; number <= count; number += 1) {
    const part = upload.parts[number - 1];
    if (!part?.ETag || part.PartNumber !== number) {
      throw new OctoError('store', `${upload.key}: part ${number} of ${count} is missing; the upload is aborted rather than completed without it`);
    }
  }
  if (upload.parts.length !== count) throw new OctoError('store', `${upload.key}: ${upload.parts.length} parts acknowledged, ${count} sent`);
}
