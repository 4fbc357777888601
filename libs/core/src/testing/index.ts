/**
 * Test helpers that ship with the contract (like Backstage's `mockServices`): the contract
 * suites every adapter of a port runs (`objectStoreContract`, `remoteSourceContract`,
 * `decryptorContract`), a temp workspace with a local drop and a local bucket, a way to build
 * a provider with ports replaced, fixtures generated on the fly (OpenPGP, archives, names),
 * and, at the end, the few core internals that tests reach. For tests only.
 */
export * from './temp-workspace.js';
export * from './test-keys.js';
export * from './test-drop.js';
export * from './test-api.js';
export * from './test-partner-provider.js';
export * from './slow-test-partner-provider.js';
export * from './dated-test-folder-namer.js';
export * from './local-bucket.js';
export * from './sse-reader.js';
export * from '../jobs/job-store-contract.js';
export * from './pgp-fixtures.js';
export * from './files.js';
export * from './big-file.js';
export * from './expect-failure.js';
export * from './archive-fixtures.js';
export * from './octo-thrown.js';
export * from './crafted-zip.js';
export * from './metered-store.js';
export * from './raw-name-archives.js';
export * from './name-arbitraries.js';
export * from './gnupg-test-home.js';
export * from './folder-rule-property.js';
export * from './webhook-receiver.js';
export * from './fake-clock.js';
export * from './object-store-contract.js';
export * from './remote-source-contract.js';
export * from './decryptor-contract.js';

// Core's internals that adapter and integration tests reach, kept out of the public API.
export { silentLogger } from '../ports/logger.js';
export { providerConfigSchema, storeSchema } from '../config/config-schema.js';
export { ProviderLock } from '../jobs/provider-lock.js';
export { CommitIntents, type CommitIntent } from '../pipeline/commit-intent.js';
export { completionMarkerKey } from '../pipeline/completion-marker.js';
export { KeyOwnership } from '../pipeline/key-ownership.js';
export { Recovery } from '../pipeline/recovery.js';
export { RUNS_PREFIX } from '../pipeline/run-registry.js';
export { ObjectStoreLedger } from '../adapters/ledger/object-store-ledger.js';
export { unownedObjectError } from '../adapters/unowned-object-error.js';
export { S3ObjectStore, type S3ObjectStoreOptions } from '../adapters/s3/s3-object-store.js';
export { multipartETag } from '../adapters/s3/multipart-etag.js';
export { SftpRemoteSource, MAX_CONNECT_ATTEMPTS } from '../adapters/sftp/sftp-remote-source.js';
export { discover } from '../pipeline/discover.js';
export { FileJobStore } from '../jobs/file-job-store.js';
export { RedisJobStore } from '../jobs/redis-job-store.js';
export { SftpConnectionPool } from '../adapters/sftp/sftp-connection-pool.js';
export { fingerprintOf } from '../adapters/sftp/host-key.js';
export { WHOLE_PUT_MAX_BYTES, WHOLE_PUT_REF, WHOLE_PUT_STAGING_BYTES } from '../adapters/s3/s3-staging.js';
export { parseConfig } from '../config/load-config.js';
