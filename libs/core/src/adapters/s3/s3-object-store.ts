import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
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
  ResumedStaging,
  StagedRef,
  Staging,
  StagingOptions,
} from '../../ports/object-store.js';
import { assertSafeKey } from '../local/object-key.js';
import { PartBufferPool } from './part-buffer-pool.js';
import { DEFAULT_QUEUE_SIZE } from './part-size.js';
import { sharedClient } from './s3-client-config.js';
import { isDenied, isNotFound, storeError, taggingDenied } from './s3-errors.js';
import { splitMetadata } from './s3-metadata.js';
import { S3Staging, WHOLE_PUT_REF } from './s3-staging.js';
import { resolveS3Location, type S3Location } from './s3-url.js';
import { journalName, STAGING_JOURNAL } from './staging-journal.js';

/** The checksum algorithms S3 accepts on uploads. */
export type S3ChecksumAlgorithm = 'CRC32' | 'CRC32C' | 'SHA1' | 'SHA256' | 'CRC64NVME';

/** Options of {@link S3ObjectStore.putObject}. */
export interface WholePutOptions {
  /** Create only if the key holds no object (`If-None-Match: *`). */
  readonly ifAbsent?: boolean;
  /** Object tags, set in the same request (`x-amz-tagging`). */
  readonly tags?: Readonly<Record<string, string>>;
}

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
 * A bucket in S3 or any S3-compatible server. Nothing a staging puts is visible before
 * {@link Staging.commit}: a small output waits in memory for one PutObject at commit, any
 * other is a multipart upload whose CompleteMultipartUpload waits for it; a failed or
 * discarded put is aborted. Every request carries an SDK checksum, and retries follow the SDK's
 * standard strategy. The staging itself is {@link S3Staging}.
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
    this.partBuffers = new PartBufferPool((options.queueSize ?? DEFAULT_QUEUE_SIZE) + 1);
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

  /** True when the key holds this run's completed output (its size and the run id it was written with). */
  private async holds(ref: StagedRef, runId: string | undefined): Promise<boolean> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.keyOf(ref.key) }));
      // The run id the staging marks on every upload (octo-run-id), not metadata the caller may or may not give.
      const writtenBy = head.Metadata?.['octo-run-id'] ?? head.Metadata?.['octo-job-id'];
      return head.ContentLength === ref.size && (runId === undefined || writtenBy === runId);
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

  /** Removes objects (journal entries, dropped intents), one request per 1,000. */
  async deleteMany(keys: readonly string[]): Promise<void> {
    for (const key of keys) assertSafeKey(key);
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
    await this.putObject(key, body, metadata);
  }

  async putSmallIfAbsent(key: string, body: Buffer | string, metadata: ObjectMetadata = {}): Promise<boolean> {
    return this.putObject(key, body, metadata, { ifAbsent: true });
  }

  /**
   * One PutObject of bytes held whole (ledger records, claims, markers, small outputs at
   * commit), with its checksum and encryption, and `tags` in the same request. With `ifAbsent`,
   * `false` when the key already holds an object (412).
   */
  async putObject(key: string, body: Buffer | string, metadata: ObjectMetadata = {}, options: WholePutOptions = {}): Promise<boolean> {
    assertSafeKey(key);
    const command = () => this.smallPut(key, body, metadata, options);
    if (!options.ifAbsent) {
      try {
        await this.client.send(command());
        return true;
      } catch (error) {
        throw this.putError(error, key, options, `cannot write ${this.description}${key}`);
      }
    }
    // S3 answers 409 ConditionalRequestConflict while another conditional write on the key is in
    // flight, and asks for a retry; the retry then gets the verdict (200 or 412).
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.client.send(command());
        return true;
      } catch (error) {
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (status === 412 || (error as { name?: string }).name === 'PreconditionFailed') return false;
        if (status === 409 && attempt < 5) {
          await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
          continue;
        }
        throw this.putError(error, key, options, `cannot create ${this.description}${key}`);
      }
    }
  }

  /**
   * A PutObject with tags needs s3:PutObjectTagging as well; the file's key claim, a PutObject
   * without tags, came first, so a 403 here is the tagging permission.
   */
  private putError(error: unknown, key: string, options: WholePutOptions, context: string): OctoError {
    if (options.tags && Object.keys(options.tags).length > 0 && isDenied(error)) return taggingDenied(`${this.description}${key}`, error);
    return storeError(error, context);
  }

  /** The PutObjectCommand of {@link putObject}. */
  private smallPut(key: string, body: Buffer | string, metadata: ObjectMetadata, options: WholePutOptions): PutObjectCommand {
    const { contentType, userMetadata } = splitMetadata(metadata);
    return new PutObjectCommand({
      Bucket: this.bucket,
      Key: this.keyOf(key),
      Body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
      ContentType: contentType,
      Metadata: userMetadata,
      ...(options.ifAbsent ? { IfNoneMatch: '*' } : {}),
      ...(options.tags && Object.keys(options.tags).length > 0 ? { Tagging: new URLSearchParams(options.tags).toString() } : {}),
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
      if (isDenied(error)) throw taggingDenied(`${this.description}${key}`, error);
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
