/**
 * @octo/core: the public API that apps, the server and provider plugins build on. It names
 * what they use (the ports, the plugin contract, config, the runtime, job reports, the ledger
 * query, webhook signatures), not every module; core's internals that tests reach go through
 * `@octo/core/testing`.
 */
import 'reflect-metadata';

// Errors.
export { OctoError, type OctoErrorKind } from './errors/octo-error.js';

// The ports: what an adapter implements and a plugin may override (one per file in ports/).
export type * from './ports/remote-source.js';
export type * from './ports/object-store.js';
export type * from './ports/ledger.js';
export type * from './ports/file-context.js';
export type * from './ports/signature-verifier.js';
export type * from './ports/decryptor.js';
export type * from './ports/unpacker.js';
export type * from './ports/folder-namer.js';
export type * from './ports/router.js';
export type * from './ports/file-handler.js';
export type * from './ports/job-events.js';
export type { Logger } from './ports/logger.js';
export { TYPES, type ProviderContext } from './ports/identifiers.js';

// Provider plugins: the contract and its facade, typed settings, and the composition apps and plugin specs build.
export { defineProvider, type PortImplementation, type ProviderEnvironment, type ProviderPlugin } from './providers/provider-plugin.js';
export { providerSettings, type ProviderSettings } from './providers/provider-settings.js';
export type { OverridablePorts } from './providers/overridable-ports.js';
export { ProviderFactory, type ProviderHandle, type ProviderSummary } from './providers/provider-factory.js';
export { createRootContainer } from './container/create-root-container.js';
export { LocalRemoteSource } from './adapters/local/local-remote-source.js';
export { inject, injectable } from 'inversify';

// Config and secrets.
export {
  secretRefSchema,
  type ConflictPolicy,
  type DecryptionConfig,
  type LimitsConfig,
  type OctoConfig,
  type OctoConfigInput,
  type ProviderConfig,
  type SourceConfig,
  type StoreConfig,
} from './config/config-schema.js';
export { formatIssues, loadConfig, parseConfig, resolvePath, type LoadedConfig } from './config/load-config.js';
export { SecretResolver } from './secrets/secret-ref.js';
export { fingerprintOf } from './adapters/sftp/host-key.js';

// The runtime apps compose, its store, and the job reports every process reads.
export { createOctoRuntime, type OctoRuntime, type OctoRuntimeOptions } from './app/octo-runtime.js';
export { createObjectStore } from './adapters/adapter-factories.js';
export type { JobHandle } from './jobs/job-runner.js';
export { JobConflictError } from './jobs/job-conflict-error.js';
export {
  ACTIVE_JOB_STATUSES,
  finalJobReport,
  newestJobReportFirst,
  startedJobReport,
  type JobOwner,
  type JobReport,
  type ReportedFileResult,
} from './jobs/job-report.js';
export { currentJobOwner, FileJobReportStore, type JobReportStore } from './jobs/job-report-store.js';
export { withTimeout } from './util/timing.js';

// What was ingested when (`octo ledger`, GET /v1/providers/:name/ledger).
export { DEFAULT_LEDGER_LIMIT, parseLedgerTime, queryLedger, type LedgerQuery, type LedgerQueryResult } from './audit/ledger-query.js';

/** For webhook receivers: check an `Octo-Signature` header (docs/notifications.md). */
export { signWebhook, verifyWebhook, SIGNATURE_HEADER } from './notify/webhook-signature.js';
export type { JobNotification } from './notify/job-notification.js';
export type { WebhookConfig, NotifyConfig } from './config/notify-schema.js';
export type { JobNotifier } from './notify/job-notifier.js';
