/**
 * @octo/core: the pipeline, the ports, the built-in adapters, the DI container and the
 * provider plugin contract. This list is deliberate: it exports what apps, the server and
 * providers use. Tests reach internals through '@octo/core/testing'.
 */
import 'reflect-metadata';

// The ports: what the pipeline needs from the outside world, and what providers override.
export { type Decrypted, type Decryptor } from './ports/decryptor.js';
export { type EntryTransform } from './ports/entry-transform.js';
export { type FileContext } from './ports/file-context.js';
export { type FileHandler, type FileHandling, type StagedEntry } from './ports/file-handler.js';
export { type FileProvenance, mergeProvenance } from './ports/file-provenance.js';
export { type FolderNamer } from './ports/folder-namer.js';
export { type ProviderContext, TYPES } from './ports/identifiers.js';
export { type AfterIngestResult, type FileOutput, type FileResult, type JobEvent, type JobEventListener, type JobStatus, type JobSummary, type PlannedConflict, type PlannedFile, type Progress, type Retried, type SkippedFile, type WaitingFile } from './ports/job-events.js';
export { type Ledger, type LedgerRecord, type LedgerWindow, type ResendOf, type SupersededRecord } from './ports/ledger.js';
export { type Logger, silentLogger } from './ports/logger.js';
export { type ObjectInfo, type ObjectMetadata, type ObjectStore, type OpenStagedState, type PutOptions, type ResumedStaging, type StagedObject, type StagedRef, type Staging, type StagingOptions } from './ports/object-store.js';
export { type ListOptions, type RemoteFile, type RemoteSource } from './ports/remote-source.js';
export { type Router } from './ports/router.js';
export { type Checked, type SignatureVerifier } from './ports/signature-verifier.js';
export { PIPELINE_STAGES, type PipelineStage, type StageTiming, type StageTimings, stageTotals } from './ports/stage-timings.js';
export { type UnpackedEntry, type Unpacker } from './ports/unpacker.js';

// The validate-and-transform stage's built-ins, for a provider's own EntryTransform.
export { CharsetToUtf8 } from './transform/charset-to-utf8.js';
export { CsvCheck, type CsvExpectations } from './transform/csv-check.js';
export { entryCheckError, type TextPosition } from './transform/entry-check-error.js';
export { type TransformConfig, type ValidateConfig } from './transform/entry-stage-config.js';
export { type LineEnding, LineEndings } from './transform/line-endings.js';
export { StripBom } from './transform/strip-bom.js';
export { Utf8Check } from './transform/utf8-check.js';

// The provider plugin contract.
export { OVERRIDABLE_PORTS, type OverridablePorts } from './providers/overridable-ports.js';
export { PluginOverrides } from './providers/plugin-overrides.js';
export { ProviderFactory, type ProviderHandle, type ProviderSummary, redactUrl } from './providers/provider-factory.js';
export { defineProvider, type PortImplementation, type ProviderEnvironment, type ProviderPlugin } from './providers/provider-plugin.js';
export { providerSettings, type ProviderSettings } from './providers/provider-settings.js';

// The DI container.
export { createRootContainer } from './container/create-root-container.js';

// Config: loading, validation, the types of a loaded config.
export { type OctoConfig, type OctoConfigInput, secretRefSchema, type SourceConfig } from './config/config-schema.js';
export { formatIssues, loadConfig, type LoadedConfig, resolvePath, shownPath } from './config/load-config.js';

// Secrets, by reference.
export { SecretResolver } from './secrets/secret-ref.js';

// Errors.
export { OctoError, type OctoErrorKind } from './errors/octo-error.js';

// The runtime the apps compose.
export { createOctoRuntime, type OctoRuntime } from './app/octo-runtime.js';
export { tuneHeapForStreaming } from './app/heap-tuning.js';

// Jobs: reports, stores, schedules.
export { JobConflictError } from './jobs/job-conflict-error.js';
export { type InFlightFile } from './jobs/job-projection.js';
export { ACTIVE_JOB_STATUSES, type JobReport } from './jobs/job-report.js';
export { type JobHandle, type JobRunner } from './jobs/job-runner.js';
export { workerSettings } from './jobs/jobs-config-schema.js';
export { redisUrlOf } from './jobs/open-job-store.js';
export { publishDistributedSchedules } from './jobs/publish-distributed-schedules.js';
export { type JobStore } from './jobs/job-store.js';
export { type ScheduleConfig } from './jobs/schedule-config-schema.js';
export { scheduleSummary, type ScheduleView } from './jobs/schedule-summary.js';
export { Scheduler, type SchedulerClock } from './jobs/scheduler.js';

// Built-in adapters the apps use directly.
// scanSourceHostKeys loads ssh2 on first use, like the SFTP adapter.
export { createObjectStore, scanSourceHostKeys } from './adapters/adapter-factories.js';
export { LocalRemoteSource } from './adapters/local/local-remote-source.js';

// Audit: the ledger query.
export { DEFAULT_LEDGER_LIMIT, parseLedgerTime, queryLedger } from './audit/ledger-query.js';

// `octo check`.
export { checkProvider, type ProviderCheck } from './check/provider-check.js';

// Failures that repeat and resends: the quarantine in the bucket (octo pending, octo retry, the API) and the content index.
export { byIdentity, type FailureRecord, QUARANTINE_PREFIX, QuarantineBook, type QuarantineEntry } from './quarantine/quarantine-book.js';
export { DEFAULT_QUARANTINE_AFTER, type FileOrder, type OnErrorPolicy, type QuarantineConfig, type ResendPolicy } from './config/failure-policy-schema.js';
export { CONTENT_INDEX_PREFIX, type ContentEntry, ContentIndex } from './resend/content-index.js';
/** For folder rules: the first calendar date in a file name (`statements_20261101.csv.gpg` -> `2026-11-01`). */
export { firstDateIn } from './rules/date-in-name.js';
/** What `octo pending` says of the files the globs match but a run leaves (uploads in progress, dot files). */
export { IN_PROGRESS_RULE } from './rules/include-globs.js';

// Notifications.
/** For webhook receivers: check an `Octo-Signature` header (docs/notifications.md). */
export { SIGNATURE_HEADER, signWebhook, verifyWebhook } from './notify/webhook-signature.js';
export type { JobNotification } from './notify/job-notification.js';
export type { LateNotification } from './notify/late-notification.js';

// Arrival expectations (late files), and OpenLineage run events.
export { type ArrivalExpectation, expectationConfigSchema } from './arrival/expectation-config-schema.js';
export { type ArrivalStatus } from './arrival/arrival-status.js';
export { ArrivalMonitor } from './arrival/arrival-monitor.js';
export { lateView, type LateView } from './arrival/late-view.js';
export { OPENLINEAGE_SCHEMA_URL, type OpenLineageRunEvent } from './lineage/openlineage-event.js';

// Helpers.
export { inject, injectable } from 'inversify';
export { withTimeout } from './util/timing.js';
