import { z } from 'zod';

/** Failed runs after which a file is quarantined, when a provider does not say. */
export const DEFAULT_QUARANTINE_AFTER = 3;

/** `quarantine:` of a provider: after how many failed runs a file stops being retried (0: never). */
export const quarantineConfigSchema = z
  .object({
    /** Failed runs of one delivery (same path, size and mtime) before it is quarantined; 0 turns quarantine off. */
    after: z.number().int().min(0).max(1000).default(DEFAULT_QUARANTINE_AFTER),
  })
  .strict();

/**
 * What a provider does when files fail again and again, in which order it takes files, and what
 * it does with a resend (the same bytes under another path). Spread into the provider schema.
 */
export const failurePolicyShape = {
  /** Repeated failures: a file failed `after` runs in a row is no longer retried until `octo retry` releases it. */
  quarantine: quarantineConfigSchema.default({ after: DEFAULT_QUARANTINE_AFTER }),
  /** `skip-file`: a failed file is reported and the others go on; `fail-run`: no file starts after the first failure. */
  onError: z.enum(['skip-file', 'fail-run']).default('skip-file'),
  /** The order files are started in: by path (`name`) or oldest first (`mtime`). */
  order: z.enum(['name', 'mtime']).default('name'),
  /** One file at a time in `order`; a failed or quarantined file stops the later ones (partners whose files apply in order). */
  sequential: z.boolean().default(false),
  /** The same bytes (sha256) already ingested under another path: `land` them again (reported), or `skip` them (recorded, not landed). */
  resend: z.enum(['land', 'skip']).default('land'),
};

export type QuarantineConfig = z.output<typeof quarantineConfigSchema>;
/** What `onError` allows. */
export type OnErrorPolicy = 'skip-file' | 'fail-run';
/** What `order` allows. */
export type FileOrder = 'name' | 'mtime';
/** What `resend` allows. */
export type ResendPolicy = 'land' | 'skip';
