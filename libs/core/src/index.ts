/**
 * @octo/core: the pipeline, the ports, the built-in adapters, the DI container and the
 * provider plugin contract. Apps compose these; providers import only from here.
 */
import 'reflect-metadata';

export * from './errors/octo-error.js';
export * from './ports/remote-source.js';
export * from './ports/object-store.js';
export * from './ports/ledger.js';
export * from './ports/stages.js';
export * from './ports/job-events.js';
export * from './ports/logger.js';
export * from './ports/identifiers.js';
export * from './config/config-schema.js';
export * from './config/load-config.js';
export * from './secrets/secret-ref.js';
export * from './pipeline/layers.js';
export * from './pipeline/safe-name.js';
export * from './pipeline/pair-signatures.js';
export * from './pipeline/file-processor.js';
export * from './pipeline/sync-job.js';
export * from './pipeline/key-ownership.js';
export * from './pipeline/completion-marker.js';
export * from './pipeline/commit-intent.js';
export * from './pipeline/run-registry.js';
export * from './pipeline/recovery.js';
export * from './adapters/adapter-factories.js';
export * from './adapters/unowned-object-error.js';
export * from './adapters/local/local-remote-source.js';
export * from './adapters/local/local-object-store.js';
export * from './adapters/sftp/host-key.js';
export * from './adapters/sftp/sftp-url.js';
export * from './adapters/sftp/sftp-connection-pool.js';
export * from './adapters/sftp/sftp-read-stream.js';
export * from './adapters/sftp/sftp-remote-source.js';
export * from './adapters/s3/s3-url.js';
export * from './adapters/s3/part-size.js';
export * from './adapters/s3/multipart-etag.js';
export * from './adapters/s3/s3-object-store.js';
export * from './adapters/ledger/object-store-ledger.js';
export * from './adapters/pgp/openpgp-decryptor.js';
export * from './adapters/pgp/openpgp-signature-verifier.js';
export * from './adapters/unpack/default-unpacker.js';
export * from './adapters/routing/default-router.js';
export * from './adapters/routing/default-folder-namer.js';
export * from './adapters/routing/glob-file-filter.js';
export * from './providers/provider-plugin.js';
export * from './providers/provider-factory.js';
export * from './container/core-module.js';
export * from './container/create-root-container.js';
export * from './jobs/job-runner.js';
export * from './jobs/job-conflict-error.js';
export * from './jobs/progress-percent.js';
export * from './jobs/provider-lock.js';
export * from './jobs/run-folder.js';
export * from './jobs/job-report.js';
export * from './jobs/job-report-store.js';
export * from './app/octo-runtime.js';
export * from './streams/digest-stream.js';
export * from './streams/peek.js';
export { withTimeout } from './util/timing.js';
export { inject, injectable, ContainerModule, type ContainerModuleLoadOptions } from 'inversify';
/** For webhook receivers: check an `Octo-Signature` header (docs/notifications.md). */
export { signWebhook, verifyWebhook, SIGNATURE_HEADER } from './notify/webhook-signature.js';
export type { JobNotification } from './notify/job-notification.js';
export type { WebhookConfig, NotifyConfig } from './config/notify-schema.js';
export type { JobNotifier } from './notify/job-notifier.js';
export * from './audit/ledger-query.js';
