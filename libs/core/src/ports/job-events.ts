import type { OctoErrorKind } from '../errors/octo-error.js';
import type { ResendOf } from './ledger.js';
import type { StagedObject } from './object-store.js';
import type { StageTimings } from './stage-timings.js';

/** One output of a file that was ingested. */
export type FileOutput = StagedObject;

/** What the provider's `afterIngest:` did on the partner's server with a file that landed. */
export interface AfterIngestResult {
  readonly action: 'move' | 'delete';
  /** `failed`: the file is ingested (and in the ledger, so not taken again) but still on the server, for `reason`. */
  readonly status: 'done' | 'failed';
  /** Where a moved file is now, relative to the source root (a suffixed name after a collision). */
  readonly to?: string;
  readonly reason?: string;
}

/** The outcome of one source file in a job. */
export type FileResult =
  | ({
      readonly path: string;
      readonly size: number;
      readonly status: 'done';
      readonly sha256: string;
      readonly outputs: readonly FileOutput[];
      readonly durationMs: number;
      readonly stages?: StageTimings;
      readonly afterIngest?: AfterIngestResult;
      /** The fingerprint of the key that decrypted it, when that key is past its `retiresAt`. */
      readonly retiredKey?: string;
      /** The same bytes were ingested before under another path (landed again, or with `resend: skip` not: then `outputs` is empty). */
      readonly resendOf?: ResendOf;
    } & Retried)
  | ({ readonly path: string; readonly size: number; readonly status: 'failed'; readonly kind: OctoErrorKind; readonly reason: string; readonly durationMs: number; readonly stages?: StageTimings } & Retried);

/**
 * Distributed mode: which delivery of the file's job gave the result, set from 2 on only (a
 * worker died with the file and another took it after the stall interval).
 */
export interface Retried {
  readonly attempt?: number;
}

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'partial' | 'failed' | 'cancelled' | 'interrupted';

/** The summary of a finished job: counts, bytes, duration and every failure with its reason. */
export interface JobSummary {
  readonly jobId: string;
  readonly provider: string;
  readonly status: JobStatus;
  readonly dryRun: boolean;
  readonly total: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Bytes read from the source. */
  readonly bytesIn: number;
  /** Bytes landed in the store. */
  readonly bytesOut: number;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly files: readonly FileResult[];
  /** Every file's stages added up (see {@link stageTotals}); absent in a dry run. */
  readonly stages?: StageTimings;
  /** A job-level error (bad config, unreachable source), when the job could not run. */
  readonly error?: { readonly kind: OctoErrorKind; readonly reason: string };
  /** In a dry run: what would be processed. */
  readonly plan?: readonly PlannedFile[];
  /** Files left for a later run because their ready marker (`ready:`) is not there yet. */
  readonly waiting?: readonly WaitingFile[];
  /** Files the job found but did not start: quarantined, or stopped by an earlier failure (`onError: fail-run`, `sequential`). Never counted in `total`. */
  readonly skipped?: readonly SkippedFile[];
}

/** A file that waits for its ready marker. */
export interface WaitingFile {
  readonly path: string;
  /** The marker (a path relative to the source root) that releases it. */
  readonly for: string;
  /** Why the marker does not release it yet, when it is there (a manifest that does not list it, or another size). */
  readonly reason?: string;
}

/** A file a job found pending but did not attempt, and why. */
export interface SkippedFile {
  readonly path: string;
  readonly size: number;
  /** `quarantined`: it failed too many runs and waits for `octo retry`; `not-attempted`: an earlier file's failure stopped it. */
  readonly why: 'quarantined' | 'not-attempted';
  /** What a person reads: why, and what to do. */
  readonly reason: string;
}

/** A file a dry run would process, with the key each output would get (known before unpacking only for plain files). */
export interface PlannedFile {
  readonly path: string;
  readonly size: number;
  readonly layers: readonly string[];
  /** Output name after stripping layer extensions. */
  readonly outputName: string;
  /** The key for the output; for archives, the prefix where entries land. */
  readonly key: string;
  readonly archive: boolean;
  /** The output's key belongs to another source path (in the bucket, or earlier in this drop). */
  readonly conflict?: PlannedConflict;
}

/** A key conflict a dry run found, and what the provider's `conflicts` policy would do. */
export interface PlannedConflict {
  readonly key: string;
  /** The source path that owns the key, or would own it first in this run. */
  readonly owner: string;
  /** `bucket`: the bucket already holds the owner's claim; `drop`: both files are in this drop. */
  readonly where: 'bucket' | 'drop';
  /** `fail`: this file would fail; `keep-both`: it would land at `keptAs`. */
  readonly outcome: 'fail' | 'keep-both';
  readonly keptAs?: string;
}

/** Everything a job reports while it runs, in order. */
export type JobEvent =
  | { readonly type: 'job.started'; readonly jobId: string; readonly provider: string; readonly total: number; readonly totalBytes: number; readonly at: string }
  | { readonly type: 'file.started'; readonly jobId: string; readonly path: string; readonly size: number; readonly at: string }
  | { readonly type: 'file.progress'; readonly jobId: string; readonly path: string; readonly bytes: number; readonly size: number; readonly at: string }
  | ({
      readonly type: 'file.done';
      readonly jobId: string;
      readonly path: string;
      readonly outputs: readonly FileOutput[];
      readonly durationMs: number;
      readonly stages?: StageTimings;
      readonly progress: Progress;
      readonly at: string;
      /** The fingerprint of the private key that decrypted the file although past its `retiresAt` date. */
      readonly retiredKey?: string;
    } & Retried)
  | ({ readonly type: 'file.failed'; readonly jobId: string; readonly path: string; readonly kind: OctoErrorKind; readonly reason: string; readonly durationMs: number; readonly stages?: StageTimings; readonly progress: Progress; readonly at: string } & Retried)
  | { readonly type: 'job.finished'; readonly jobId: string; readonly summary: JobSummary; readonly at: string };

/** Progress as the legacy system reported it (files done over total) plus bytes. */
export interface Progress {
  readonly filesDone: number;
  readonly filesTotal: number;
  /** filesDone / filesTotal * 100, two decimals; 100 when there is nothing to do. */
  readonly percent: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

/** Receives a job's events. */
export type JobEventListener = (event: JobEvent) => void;
