import { z } from 'zod';

/** Provider names as config allows them: kebab-case, at most 63 characters. */
export const providerNameSchema = z
  .string()
  .max(63, 'provider names are at most 63 characters')
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'provider names are kebab-case, e.g. acme-bank');

/** Job ids are UUIDs (the runner makes them). */
export const jobIdSchema = z.uuid('job ids are UUIDs');

const jobStatusSchema = z.enum(['queued', 'running', 'succeeded', 'partial', 'failed', 'cancelled', 'interrupted']);

const errorKindSchema = z.enum([
  'config',
  'secret',
  'source',
  'auth',
  'hostkey',
  'decrypt',
  'signature',
  'unpack',
  'unsafe',
  'route',
  'store',
  'ledger',
  'filter',
  'validate',
  'cancelled',
  'internal',
]);

/** Every error answer: the HTTP status, its name, and a message a person can act on. */
export const errorSchema = z
  .object({
    statusCode: z.number().int(),
    error: z.string(),
    message: z.string(),
    /** On 409: the job that holds the provider (or the job that already ended). */
    jobId: z.string().optional(),
  })
  .describe('An error');

/** What a caller may choose for a job; everything else (source, bucket, keys) comes only from config. */
export function startJobBodySchema(maxConcurrency: number) {
  return z
    .strictObject({
      /** List what would be processed and the key each output would get; write nothing. */
      dryRun: z.boolean().default(false),
      /** Files at once, up to the configured limit; defaults to the provider's setting. */
      concurrency: z.number().int().min(1).max(maxConcurrency).optional(),
    })
    .describe('Options for a job; unknown fields are refused');
}

const progressSchema = z.object({
  filesDone: z.number().int(),
  filesTotal: z.number().int(),
  percent: z.number(),
  bytesDone: z.number(),
  bytesTotal: z.number(),
});

const fileOutputSchema = z.object({ key: z.string(), size: z.number(), sha256: z.string() });

/** Distributed mode: the delivery of the file's job that gave the result, from 2 on only (its first worker died or stopped with it). */
const attemptSchema = z.number().int().min(2).optional();

const stageTimingSchema = z.object({
  ms: z.number().describe('From the stage start to its last byte out (to its end, for store and commit); stages stream together, so times overlap'),
  bytes: z.number().describe('Bytes out of the stage'),
});

/** A file's time and bytes per pipeline stage; only the stages that ran. */
const stageTimingsSchema = z
  .object({
    read: stageTimingSchema.optional(),
    decrypt: stageTimingSchema.optional(),
    unpack: stageTimingSchema.optional(),
    transform: stageTimingSchema.optional(),
    store: stageTimingSchema.optional(),
    commit: stageTimingSchema.optional(),
  })
  .describe('Per stage: how long it was active and the bytes out of it (read from the source, decrypted, unpacked, after transform, staged, made visible)');

/** A resend: the earlier delivery of the same bytes (sha256) under another path, and what the provider's `resend` policy did. */
export const resendOfSchema = z.object({
  path: z.string(),
  rawPath: z.string().optional(),
  size: z.number(),
  mtimeMs: z.number(),
  jobId: z.string(),
  ingestedAt: z.string(),
  policy: z.enum(['land', 'skip']),
});

/** A file a job found but did not attempt: quarantined, or stopped by an earlier failure (onError fail-run, sequential). */
const skippedFileSchema = z.object({ path: z.string(), size: z.number(), why: z.enum(['quarantined', 'not-attempted']), reason: z.string() });

/** One source file's outcome: its outputs, or its error kind and reason. */
/** What `afterIngest:` did on the partner's server with a file that landed. */
const afterIngestSchema = z
  .object({
    action: z.enum(['move', 'delete']),
    status: z.enum(['done', 'failed']).describe('failed: the file is ingested (and not taken again) but still on the server'),
    to: z.string().optional().describe('Where the file was moved, relative to the source root'),
    reason: z.string().optional(),
  })
  .describe("The provider's post-ingest action on the source file");

/** A file left for a later run until its ready marker is listed. */
const waitingFileSchema = z.object({
  path: z.string(),
  for: z.string().describe('The marker or manifest that releases it'),
  reason: z.string().optional().describe('Why the manifest does not release it yet (not listed, another size)'),
});

const fileResultSchema = z.discriminatedUnion('status', [
  z.object({
    path: z.string(),
    size: z.number(),
    status: z.literal('done'),
    /** sha256 of the source file; known once the job has ended. */
    sha256: z.string().optional(),
    outputs: z.array(fileOutputSchema),
    durationMs: z.number(),
    afterIngest: afterIngestSchema.optional(),
    attempt: attemptSchema,
    stages: stageTimingsSchema.optional(),
    /** The same bytes were ingested before under another path; with the `skip` policy nothing landed. */
    resendOf: resendOfSchema.optional(),
  }),
  z.object({
    path: z.string(),
    size: z.number(),
    status: z.literal('failed'),
    kind: errorKindSchema,
    reason: z.string(),
    durationMs: z.number(),
    attempt: attemptSchema,
    /** The stages up to the one that failed. */
    stages: stageTimingsSchema.optional(),
  }),
]);

const plannedFileSchema = z.object({
  path: z.string(),
  size: z.number(),
  layers: z.array(z.string()),
  outputName: z.string(),
  key: z.string(),
  archive: z.boolean(),
  /** The key belongs to another source path; what the provider's conflict policy would do. */
  conflict: z
    .object({
      key: z.string(),
      owner: z.string(),
      where: z.enum(['bucket', 'drop']),
      outcome: z.enum(['fail', 'keep-both']),
      keptAs: z.string().optional(),
    })
    .optional(),
});

/** A job as lists show it. */
const jobSummarySchema = z.object({
  id: z.uuid(),
  provider: z.string(),
  status: jobStatusSchema,
  dryRun: z.boolean(),
  concurrency: z.number().int().optional(),
  progress: progressSchema,
  counts: z.object({ total: z.number().int(), succeeded: z.number().int(), failed: z.number().int() }),
  bytes: z.object({ in: z.number(), out: z.number() }),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  durationMs: z.number().nullable(),
  error: z.object({ kind: errorKindSchema, reason: z.string() }).optional(),
});

/** A job with each file's result (and, in a dry run, the plan). */
export const jobDetailSchema = jobSummarySchema.extend({
  files: z.array(fileResultSchema),
  /** Every file's stages so far, added up per stage. */
  stages: stageTimingsSchema,
  /** Files being processed right now, with the bytes read so far. */
  inFlight: z.array(z.object({ path: z.string(), size: z.number(), bytes: z.number() })),
  plan: z.array(plannedFileSchema).optional(),
  /** Files that wait for their ready marker (`ready:`), and which marker. */
  waiting: z.array(waitingFileSchema).optional(),
  /** Files found but not attempted, each with why and what to do. */
  skipped: z.array(skippedFileSchema).optional(),
});

/** Filters and page of `GET /v1/jobs`; pages hold at most the configured `maxPageSize` jobs. */
export function jobListQuerySchema(maxPageSize: number) {
  return z.strictObject({
    provider: providerNameSchema.optional(),
    status: jobStatusSchema.optional(),
    limit: z.coerce.number().int().min(1).max(maxPageSize).default(Math.min(20, maxPageSize)),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  });
}

export const jobListSchema = z.object({
  items: z.array(jobSummarySchema),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  /** The offset of the next page, or null on the last one. */
  nextOffset: z.number().int().nullable(),
});

const lateSchema = z
  .object({
    since: z.string().describe('ISO time of the deadline that passed with nothing new ingested'),
    expectation: z.string().describe('The expectation as configured, e.g. by 06:00 on mon-fri (Europe/London)'),
    windowOpenedAt: z.string().nullable().describe('ISO time the judged window opened: nothing was ingested after it'),
    checkedAt: z.string().describe('ISO time this was judged from the ledger'),
  })
  .describe("The provider's files did not arrive by their deadline");

/** One provider as `GET /v1/providers` lists it and `GET /v1/providers/:name` shows it. */
export const providerSchema = z.object({
  name: z.string(),
  plugin: z.string(),
  description: z.string(),
  /** The drop, with any password removed. */
  source: z.string(),
  bucket: z.string(),
  /** From the provider's `schedule:` in config: a cron in a time zone, or an interval; null when unscheduled. */
  schedule: z.union([z.object({ cron: z.string(), timezone: z.string() }), z.object({ every: z.string() })]).nullable(),
  /** ISO time of the next scheduled sync, or null when unscheduled. */
  nextRunAt: z.string().nullable(),
  runningJobId: z.string().nullable(),
  lastJob: jobSummarySchema.nullable(),
  /** From the provider's `expect:`: late since the missed deadline, or null (on time, or no expectation). */
  late: lateSchema.nullable(),
});

export const providerListSchema = z.object({ items: z.array(providerSchema) });

export const healthSchema = z.object({ status: z.literal('ok') });

export const readySchema = z.object({
  status: z.enum(['ready', 'not-ready']),
  checks: z.array(z.object({ name: z.string(), ok: z.boolean(), kind: errorKindSchema.optional() })),
});

export type JobSummaryView = z.output<typeof jobSummarySchema>;
export type JobDetailView = z.output<typeof jobDetailSchema>;
export type JobListView = z.output<typeof jobListSchema>;
export type ProviderListView = z.output<typeof providerListSchema>;

const at = z.string().describe('ISO time');

/** The events a job reports, as `GET /v1/jobs/:id/events` forwards them (the `data` of each SSE event). */
export const jobEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('job.started'), jobId: z.string(), provider: z.string(), total: z.number().int(), totalBytes: z.number(), at }),
  z.object({ type: z.literal('file.started'), jobId: z.string(), path: z.string(), size: z.number(), at }),
  z.object({ type: z.literal('file.progress'), jobId: z.string(), path: z.string(), bytes: z.number(), size: z.number(), at }),
  z.object({ type: z.literal('file.done'), jobId: z.string(), path: z.string(), outputs: z.array(fileOutputSchema), durationMs: z.number(), stages: stageTimingsSchema.optional(), progress: progressSchema, at, attempt: attemptSchema }),
  z.object({ type: z.literal('file.failed'), jobId: z.string(), path: z.string(), kind: errorKindSchema, reason: z.string(), durationMs: z.number(), stages: stageTimingsSchema.optional(), progress: progressSchema, at, attempt: attemptSchema }),
  z.object({
    type: z.literal('job.finished'),
    jobId: z.string(),
    summary: z
      .object({
        jobId: z.string(),
        provider: z.string(),
        status: jobStatusSchema,
        dryRun: z.boolean(),
        total: z.number().int(),
        succeeded: z.number().int(),
        failed: z.number().int(),
        bytesIn: z.number(),
        bytesOut: z.number(),
        startedAt: z.string(),
        finishedAt: z.string(),
        durationMs: z.number(),
        files: z.array(fileResultSchema),
        stages: stageTimingsSchema.optional(),
        error: z.object({ kind: errorKindSchema, reason: z.string() }).optional(),
        plan: z.array(plannedFileSchema).optional(),
      })
      .describe('The job summary, as the CLI prints it'),
    at,
  }),
]);

export type JobEventView = z.output<typeof jobEventSchema>;

/** The names of the SSE events, in the order a stream may carry them. */
export const SSE_EVENT_NAMES = ['job.state', 'job.started', 'file.started', 'file.progress', 'file.done', 'file.failed', 'job.finished', 'end'] as const;
