import { z } from 'zod';
import { SECRET_REF_PATTERN } from '../secrets/secret-ref.js';

/**
 * Where OpenLineage run events (START, COMPLETE, FAIL) of every job are POSTed: an HTTP
 * endpoint such as Marquez's `http://marquez:5000/api/v1/lineage`, with an optional API key
 * (sent as `Authorization: Bearer`). A delivery that fails is logged and never fails a job.
 */
export const lineageConfigSchema = z
  .object({
    url: z.string().regex(/^https?:\/\/[^\s]+$/, 'expected an http(s):// URL, e.g. http://marquez:5000/api/v1/lineage'),
    apiKey: z.string().regex(SECRET_REF_PATTERN, 'expected a secret reference such as env:NAME or file:PATH, never the key itself').optional(),
    /** The OpenLineage job namespace; each provider is a job in it. */
    namespace: z.string().min(1).default('octo'),
    timeoutMs: z.number().int().min(100).max(60_000).default(5_000),
  })
  .strict();

export type LineageConfig = z.output<typeof lineageConfigSchema>;
