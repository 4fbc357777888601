import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
  UploadPartCommand,
  type ChecksumAlgorithm,
  type CompletedPart,
  type S3ClientConfig,
  type ServerSideEncryption,
} from '@aws-sdk/client-s3';
import type { StoreConfig } from '../../config/config-schema.js';
import { OctoError } from '../../errors/octo-error.js';
import { silentLogger, type Logger } from '../../ports/logger.js';
import type {
  ObjectInfo,
  ObjectMetadata,
  ObjectStore,
  OpenStagedState,
  PutOptions,
  ResumedStaging,
  StagedObject,
  StagedRef,
  Staging,
  StagingOptions,
} from '../../ports/object-store.js';
import { unownedObjectError } from '../unowned-object-error.js';
import { assertSafeKey } from '../local/object-key.js';
import { multipartETag } from './multipart-etag.js';
import { partSizeFor, S3_LIMITS } from './part-size.js';
import { resolveS3Location, type S3Location } from './s3-url.js';

/** The checksum algorithms S3 accepts on uploads. */
export type S3ChecksumAlgorithm = 'CRC32' | 'CRC32C' | 'SHA1' | 'SHA256' | 'CRC64NVME';

/** Resolved settings of an {@link S3ObjectStore}. */
export interface S3ObjectStoreOptions {
  readonly location: S3Location;
  /** A ready client (tests); otherwise one is built from `clientConfig`. */
  readonly client?: S3Client;
  readonly clientConfig?: S3ClientConfig;
  /** First multipart part size; it grows for very long streams (see {@link partSizeFor}). */
  readonly partSizeBytes?: number;
  /** Parts of one object uploaded at once. */
  readonly queueSize?: number;
  readonly checksumAlgorithm?: S3ChecksumAlgorithm;
  readonly serverSideEncryption?: 'AES256' | 'aws:kms';
  readonly kmsKeyId?: string;
  readonly logger?: Logger;
  /**
   * Outputs up to this size are kept in memory and written with one PutObject at commit
   * instead of a journaled multipart upload (default {@link WHOLE_PUT_MAX_BYTES}; 0 stages every
   * output as a multipart upload).
   */
  readonly wholePutMaxBytes?: number;
}

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

/**
 * A bucket in S3 or any S3-compatible server. Nothing a staging puts is visible before
 * {@link Staging.commit}: a small output waits in memory for one PutObject at commit, any
 * other is a multipart upload whose CompleteMultipartUpload waits for it; a failed or
 * discarded put is aborted. Every request
 * carries an SDK checksum, and retries follow the SDK's standard strategy.
 */
export class S3ObjectStore implements ObjectStore {
  readonly description: string;
  readonly client: S3Client;
  private readonly ownsClient: boolean;
  private readonly logger: Logger;
  private readonly partBuffers: PartBufferPool;

  constructor(private readonly options: S3ObjectStoreOptions) {
    const { bucket, prefix } = options.location;
    this.description = `s3://${bucket}/${prefix}`;
    this.ownsClient = !options.client;
    this.client = options.client ?? new S3Client(options.clientConfig ?? {});
    this.logger = options.logger ?? silentLogger;
    this.partBuffers = new PartBufferPool((options.queueSize ?? 4) + 1);
  }

  /** Builds the store for one provider's bucket from the `store` config. */
  static fromConfig(config: StoreConfig, bucket: string, deps: { logger: Logger }): S3ObjectStore {
    if (config.serverSideEncryption === 'aws:kms' && !config.kmsKeyId) {
      // The bucket's default KMS key would be used; allowed, but say which key in config to be explicit.
      deps.logger.info('store.serverSideEncryption is aws:kms without store.kmsKeyId: the bucket default KMS key is used');
    }
    if (config.kmsKeyId && config.serverSideEncryption !== 'aws:kms') {
      throw new OctoError('config', 'store.kmsKeyId is set but store.serverSideEncryption is not aws:kms', { fatal: true });
    }
    return new S3ObjectStore({
      location: resolveS3Location(config.url, bucket),
      // One client per distinct config, shared by every provider and job in the process: a
      // long-running API would otherwise keep a socket pool per job.
      client: sharedClient(config),
      partSizeBytes: config.partSizeMiB * 1024 * 1024,
      queueSize: config.queueSize,
      checksumAlgorithm: config.checksumAlgorithm,
      serverSideEncryption: config.serverSideEncryption,
      kmsKeyId: config.kmsKeyId,
      logger: deps.logger,
    });
  }

  get bucket(): string {
    return this.options.location.bucket;
  }

  /** The full S3 key of a store key. */
  keyOf(key: string): string {
    return `${this.options.location.prefix}${key}`;
  }

  begin(options: StagingOptions = {}): Staging {
    return new S3Staging(this, this.options, this.logger, this.partBuffers, options.runId);
  }

  async resume(refs: readonly StagedRef[], options: StagingOptions = {}): Promise<ResumedStaging> {
    const staging = new S3Staging(this, this.options, this.logger, this.partBuffers, options.runId);
    const missing: string[] = [];
    for (const ref of refs) {
      assertSafeKey(ref.key);
      const parts = ref.ref === WHOLE_PUT_REF ? undefined : await this.listParts(ref);
      if (parts) staging.adopt(ref, parts.parts, parts.size, 'staged');
      else if (await this.holds(ref, options.runId)) staging.adopt(ref, [], ref.size, 'completed');
      else missing.push(ref.key);
    }
    return { staging, missing };
  }

  /** The acknowledged parts of an upload that is still open, or `undefined` when it is gone. */
  private async listParts(ref: StagedRef): Promise<{ parts: CompletedPart[]; size: number } | undefined> {
    const parts: CompletedPart[] = [];
    let size = 0;
    let marker: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListPartsCommand({ Bucket: this.bucket, Key: this.keyOf(ref.key), UploadId: ref.ref, PartNumberMarker: marker }),
        );
        for (const part of page.Parts ?? []) {
          const checksums = Object.fromEntries(
            (['ChecksumCRC32', 'ChecksumCRC32C', 'ChecksumSHA1', 'ChecksumSHA256', 'ChecksumCRC64NVME'] as const).flatMap((field) => (part[field] ? [[field, part[field]]] : [])),
          );
          parts.push({ PartNumber: part.PartNumber, ETag: part.ETag, ...checksums });
          size += part.Size ?? 0;
        }
        marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
      } while (marker);
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchUpload' || isNotFound(error)) return undefined;
      throw storeError(error, `cannot list the parts of the upload of ${ref.key}`);
    }
    // An upload whose parts do not add up to what was staged cannot complete into the right bytes.
    return size === ref.size ? { parts: parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0)), size } : undefined;
  }

  /** True when the key holds this run's completed output (its size and the job id it was written with). */
  private async holds(ref: StagedRef, runId: string | undefined): Promise<boolean> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.keyOf(ref.key) }));
      return head.ContentLength === ref.size && (runId === undefined || head.Metadata?.['octo-job-id'] === runId);
    } catch (error) {
      if (isNotFound(error)) return false;
      throw storeError(error, `cannot read ${this.description}${ref.key}`);
    }
  }

  /**
   * Open uploads under the prefix, each with the run that journaled its key (see
   * {@link S3ObjectStore.journalKey}); uploads no run journaled (someone else's) have no
   * owner. Journal entries whose upload is no longer open come last, without a key.
   */
  async *openStaged(): AsyncIterable<OpenStagedState> {
    const journal = new Map<string, string>();
    const entries: Array<{ key: string; runId: string; target: string; lastModified?: Date }> = [];
    for await (const object of this.list(STAGING_JOURNAL)) {
      const [runId, ...rest] = object.key.slice(STAGING_JOURNAL.length).split('/');
      if (!runId || rest.length === 0) continue;
      const target = rest.join('/');
      journal.set(target, runId);
      entries.push({ key: object.key, runId, target, lastModified: object.lastModified });
    }
    const prefix = this.options.location.prefix;
    const open = new Set<string>();
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
        );
      } catch (error) {
        throw storeError(error, `cannot list the open uploads of ${this.description}`);
      }
      for (const upload of page.Uploads ?? []) {
        if (!upload.Key || !upload.UploadId) continue;
        const key = upload.Key.slice(prefix.length);
        const runId = journal.get(journalName(key));
        if (runId) open.add(journalName(key));
        yield { ref: upload.UploadId, key, startedAt: upload.Initiated ?? new Date(0), ...(runId ? { owner: { runId } } : {}) };
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker);
    for (const entry of entries) {
      if (!open.has(entry.target)) yield { ref: entry.key, startedAt: entry.lastModified ?? new Date(0), owner: { runId: entry.runId } };
    }
  }

  /** Aborts an open upload (and forgets its journal entry), or removes a journal entry alone. */
  async dropStaged(state: OpenStagedState): Promise<void> {
    if (state.key === undefined) {
      if (state.ref.startsWith(STAGING_JOURNAL)) await this.delete(state.ref);
      return;
    }
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.keyOf(state.key), UploadId: state.ref }));
    } catch (error) {
      if ((error as { name?: string }).name !== 'NoSuchUpload') throw storeError(error, `cannot abort the upload of ${state.key}`);
    }
    if (state.owner) await this.delete(this.journalKey(state.owner.runId, state.key));
  }

  /**
   * Where a run notes an output key before it starts that key's multipart upload:
   * `_octo/staging/<runId>/<key>`. S3 lists neither an upload's metadata nor (on every
   * server) its true start time, so this journal is what tells a dead run's uploads from
   * anyone else's. Keys too long to nest are journaled by their sha256.
   */
  journalKey(runId: string, key: string): string {
    return `${STAGING_JOURNAL}${runId}/${journalName(key)}`;
  }

  /** Removes journal entries (one request per 1,000). */
  async deleteMany(keys: readonly string[]): Promise<void> {
    for (let index = 0; index < keys.length; index += 1000) {
      const batch = keys.slice(index, index + 1000);
      try {
        const answer = await this.client.send(
          new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((key) => ({ Key: this.keyOf(key) })), Quiet: true } }),
        );
        if (answer.Errors?.length) throw new Error(answer.Errors.map((error) => `${error.Key}: ${error.Code}`).join('; '));
      } catch (error) {
        throw storeError(error, `cannot delete ${batch.length} object(s) in ${this.description}`);
      }
    }
  }


  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const base = this.options.location.prefix;
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${base}${prefix}`, MaxKeys: 1000, ContinuationToken: token }),
        );
      } catch (error) {
        throw storeError(error, `cannot list ${this.description}${prefix}`);
      }
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        yield { key: object.Key.slice(base.length), size: object.Size ?? 0, lastModified: object.LastModified };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async get(key: string): Promise<Readable | undefined> {
    assertSafeKey(key);
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key) }));
      return answer.Body as Readable;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw storeError(error, `cannot read ${this.description}${key}`);
    }
  }

  async putSmall(key: string, body: Buffer | string, metadata: ObjectMetadata = {}): Promise<void> {
    assertSafeKey(key);
    try {
      await this.client.send(this.smallPut(key, body, metadata));
    } catch (error) {
      throw storeError(error, `cannot write ${this.description}${key}`);
    }
  }

  async putSmallIfAbsent(key: string, body: Buffer | string, metadata: ObjectMetadata = {}): Promise<boolean> {
    assertSafeKey(key);
    // S3 answers 409 ConditionalRequestConflict while another conditional write on the key is in
    // flight, and asks for a retry; the retry then gets the verdict (200 or 412).
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.client.send(this.smallPut(key, body, metadata, { IfNoneMatch: '*' }));
        return true;
      } catch (error) {
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (status === 412 || (error as { name?: string }).name === 'PreconditionFailed') return false;
        if (status === 409 && attempt < 5) {
          await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
          continue;
        }
        throw storeError(error, `cannot create ${this.description}${key}`);
      }
    }
  }

  /** The PutObject of a small object written whole (ledger records, claims, markers), with its checksum and encryption. */
  private smallPut(key: string, body: Buffer | string, metadata: ObjectMetadata, condition: { IfNoneMatch?: string } = {}): PutObjectCommand {
    const { contentType, userMetadata } = splitMetadata(metadata);
    return new PutObjectCommand({
      Bucket: this.bucket,
      Key: this.keyOf(key),
      Body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
      ContentType: contentType,
      Metadata: userMetadata,
      ...condition,
      ChecksumAlgorithm: this.options.checksumAlgorithm ?? 'CRC32',
      ...this.encryption(),
    });
  }

  async delete(key: string): Promise<void> {
    assertSafeKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key) }));
    } catch (error) {
      if (isNotFound(error)) return;
      throw storeError(error, `cannot delete ${this.description}${key}`);
    }
  }

  async tag(key: string, tags: Readonly<Record<string, string>>): Promise<void> {
    assertSafeKey(key);
    try {
      await this.client.send(
        new PutObjectTaggingCommand({
          Bucket: this.bucket,
          Key: this.keyOf(key),
          Tagging: { TagSet: Object.entries(tags).map(([name, value]) => ({ Key: name, Value: value })) },
        }),
      );
    } catch (error) {
      // Denied for every object alike: stop the job once, with the fix, rather than fail each file.
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 403) {
        throw new OctoError('store', `cannot tag ${this.description}${key}: access denied; grant s3:PutObjectTagging on the bucket to the identity Octo runs as (the source sha256 tag is set on every output)`, { cause: error, fatal: true });
      }
      throw storeError(error, `cannot tag ${this.description}${key}`);
    }
  }

  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      const endpoint = await this.endpointText();
      if (isNotFound(error) || (error as { name?: string }).name === 'NoSuchBucket') {
        throw new OctoError('store', `bucket ${this.bucket} does not exist at ${endpoint}: create it, or fix the provider's bucket`, { cause: error, fatal: true });
      }
      if (status === 403 || status === 401) {
        throw new OctoError(
          'store',
          `access to bucket ${this.bucket} at ${endpoint} was denied: check the credentials the SDK found (AWS_ACCESS_KEY_ID/AWS_PROFILE, web identity or instance role) and the bucket policy`,
          { cause: error, fatal: true },
        );
      }
      throw storeError(error, `cannot reach bucket ${this.bucket} at ${endpoint}`, true);
    }
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
  }

  /** Server-side encryption parameters for writes. */
  encryption(): { ServerSideEncryption?: ServerSideEncryption; SSEKMSKeyId?: string } {
    if (!this.options.serverSideEncryption) return {};
    return {
      ServerSideEncryption: this.options.serverSideEncryption,
      ...(this.options.kmsKeyId ? { SSEKMSKeyId: this.options.kmsKeyId } : {}),
    };
  }

  private async endpointText(): Promise<string> {
    const endpoint = await this.client.config.endpoint?.().catch(() => undefined);
    return endpoint ? `${endpoint.protocol}//${endpoint.hostname}${endpoint.port ? `:${endpoint.port}` : ''}` : 'AWS S3';
  }
}

/** The staging journal's folder in the store (see {@link S3ObjectStore.journalKey}). */
export const STAGING_JOURNAL = '_octo/staging/';

/** The journal's name for an output key: the key itself, or `#<sha256>` when nesting it would pass S3's 1,024-byte key limit. */
function journalName(key: string): string {
  return Buffer.byteLength(key) > 900 ? `#${createHash('sha256').update(key).digest('hex')}` : key;
}

const clients = new Map<string, S3Client>();

function sharedClient(config: StoreConfig): S3Client {
  const settings = s3ClientConfig(config);
  const key = JSON.stringify(settings);
  let client = clients.get(key);
  if (!client) {
    client = new S3Client(settings);
    clients.set(key, client);
  }
  return client;
}

/** SDK client settings from the store config; credentials always come from the SDK's default chain. */
export function s3ClientConfig(config: StoreConfig): S3ClientConfig {
  return {
    // An S3-compatible endpoint rarely cares about the region, but SigV4 needs one.
    region: config.region ?? (config.endpoint ? (process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'] ?? 'us-east-1') : undefined),
    endpoint: config.endpoint,
    forcePathStyle: config.forcePathStyle,
    // Standard mode: exponential backoff with full jitter for throttling, 5xx and dropped connections.
    retryMode: 'standard',
    maxAttempts: config.maxAttempts,
    requestChecksumCalculation: 'WHEN_SUPPORTED',
    responseChecksumValidation: 'WHEN_SUPPORTED',
    requestHandler: s3RequestTimeouts(config),
  };
}

/**
 * The HTTP handler's timeouts: an endpoint that accepts connections but never answers must
 * fail the request, not hang the job. The request timeout is one of inactivity (the socket's
 * idle timer), so a large part on a slow but moving link is never cut short.
 */
function s3RequestTimeouts(config: StoreConfig): { connectionTimeout: number; socketTimeout: number } {
  return { connectionTimeout: config.connectTimeoutMs, socketTimeout: config.requestTimeoutMs };
}

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

/** One source file's uploads: open multipart uploads until commit completes them all. */
class S3Staging implements Staging {
  private readonly uploads: UploadState[] = [];
  private closed = false;
  private spent = false;
  private readonly algorithm: ChecksumAlgorithm;
  /** Bytes held for whole puts, bounded by {@link WHOLE_PUT_STAGING_BYTES}. */
  private wholeBytes = 0;

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
    const base = this.options.partSizeBytes ?? 16 * 1024 * 1024;
    const queueSize = Math.max(1, this.options.queueSize ?? 4);
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
   * Writes a whole put (with `If-None-Match: *` for a key no source owned). A 412 on a retry
   * whose first try landed meets this run's own object: same size, same `octo-run-id`.
   */
  private async putWhole(upload: UploadState, whole: Buffer): Promise<void> {
    const metadata = this.runId ? { ...upload.metadata, 'octo-run-id': this.runId } : (upload.metadata ?? {});
    if (!upload.ifAbsent) return this.store.putSmall(upload.key, whole, metadata);
    if (await this.store.putSmallIfAbsent(upload.key, whole, metadata)) return;
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
  async commit(): Promise<void> {
    if (this.spent) throw new OctoError('internal', 'staging already rolled back');
    this.closed = true;
    const pending = this.uploads.filter((upload) => upload.state === 'staged');
    try {
      await inBatches(pending, (upload) => this.complete(upload));
    } catch (error) {
      // A refusal (an object this put may not replace) does not change on retry: drop what is still open.
      if (OctoError.is(error) && error.kind !== 'store') await this.abortAll().catch(() => undefined);
      throw storeError(error, `cannot commit the outputs in ${this.store.description}`);
    }
    await this.clearJournal();
  }

  async abort(): Promise<void> {
    this.closed = true;
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

  private async complete(upload: UploadState): Promise<void> {
    if (upload.whole) {
      await this.putWhole(upload, upload.whole);
      upload.state = 'completed';
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

/**
 * Part buffers kept for reuse. Without it every part is a fresh multi-MiB allocation that
 * lingers until the garbage collector runs, and peak memory follows the GC, not the queue.
 */
class PartBufferPool {
  private readonly free: Buffer[] = [];
  private readonly mine = new WeakSet<Buffer>();

  constructor(private readonly keep: number) {}

  take(size: number): Buffer {
    const index = this.free.findIndex((buffer) => buffer.length === size);
    const [reused] = index >= 0 ? this.free.splice(index, 1) : [];
    if (reused) return reused;
    const buffer = Buffer.allocUnsafeSlow(size);
    this.mine.add(buffer);
    return buffer;
  }

  give(buffer: Buffer): void {
    // Only part buffers from take() come back (the last part of an object is a one-off).
    if (!this.mine.has(buffer)) return;
    if (this.free.length < this.keep) this.free.push(buffer);
    else this.mine.delete(buffer);
  }
}

/**
 * Signs a part's request without hashing its body (`UNSIGNED-PAYLOAD`): SigV4 would otherwise
 * read every byte again for a sha256 on top of the part's SDK checksum. S3 verifies that
 * checksum (CRC32 by default) against the bytes it stored, and the ledger's sha256 is Octo's own.
 */
function signWithoutPayloadHash(command: UploadPartCommand): void {
  command.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
      return next(args);
    },
    { step: 'build', name: 'octoUnsignedPayload' },
  );
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

/** S3 user metadata must be ASCII; `content-type` is a header, not user metadata. */
function splitMetadata(metadata: ObjectMetadata): { contentType?: string; userMetadata: Record<string, string> } {
  const userMetadata: Record<string, string> = {};
  let contentType: string | undefined;
  for (const [name, value] of Object.entries(metadata)) {
    if (name.toLowerCase() === 'content-type') {
      contentType = value;
      continue;
    }
    userMetadata[name.toLowerCase()] = /^[\x20-\x7e]*$/.test(value) ? value : encodeURIComponent(value);
  }
  return { contentType, userMetadata };
}

function isNotFound(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return name === 'NoSuchKey' || name === 'NotFound' || status === 404;
}

function storeError(error: unknown, context: string, fatal = false): OctoError {
  if (OctoError.is(error)) return error;
  const name = (error as { name?: string }).name;
  const status = (error as { $metadata?: { httpStatusCode?: number; attempts?: number } }).$metadata;
  const message = error instanceof Error ? error.message : String(error);
  const attempts = status?.attempts && status.attempts > 1 ? ` after ${status.attempts} attempts` : '';
  if (name === 'CredentialsProviderError') {
    return new OctoError('store', `${context}: no AWS credentials found (environment, profile, web identity or instance metadata): ${message}`, { cause: error, fatal: true });
  }
  return new OctoError('store', `${context}: ${name && name !== 'Error' ? `${name}: ` : ''}${message}${status?.httpStatusCode ? ` (HTTP ${status.httpStatusCode})` : ''}${attempts}`, {
    cause: error,
    fatal,
  });
}
