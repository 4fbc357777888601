import { DEFAULT_LEDGER_LIMIT, OctoError, parseLedgerTime, queryLedger, TYPES, type OctoRuntime } from '@octo/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ApiError } from '../http/api-error.js';
import { errorSchema, providerNameSchema, resendOfSchema } from '../http/schemas.js';
import type { ZodTypeProvider } from '../http/zod-type-provider.js';

const ledgerRecordSchema = z
  .object({
    provider: z.string(),
    path: z.string(),
    rawPath: z.string().optional(),
    size: z.number(),
    mtimeMs: z.number(),
    sha256: z.string(),
    outputs: z.array(z.object({ key: z.string(), size: z.number(), sha256: z.string() })).readonly(),
    jobId: z.string(),
    ingestedAt: z.string(),
    supersedes: z.object({ record: z.string(), size: z.number(), mtimeMs: z.number(), sha256: z.string(), jobId: z.string() }).optional(),
    provenance: z
      .object({
        decryptedBy: z.object({ fingerprint: z.string(), keyId: z.string(), retiredSince: z.string().optional().describe('The key was past this retiresAt date when it decrypted the file') }).optional(),
        signedBy: z.object({ keyId: z.string(), fingerprint: z.string(), signedAt: z.string() }).optional(),
      })
      .optional()
      .describe('The key that decrypted the file and the key that signed it, when it was encrypted to a key or signed'),
    resendOf: resendOfSchema.optional().describe('These bytes were ingested before under another path; with the skip policy nothing landed (no outputs)'),
  })
  .describe('One ingested source file: where it came from, what it was, where it landed, by which job, when');

const ledgerAnswerSchema = z.object({
  provider: z.string(),
  records: z.array(ledgerRecordSchema).readonly().describe('Newest first'),
  matched: z.number().int().describe('Records that matched in all'),
  truncated: z.boolean().describe('More matched than `limit`: narrow the query or raise the limit'),
});

export type LedgerAnswerView = z.output<typeof ledgerAnswerSchema>;

const ledgerQuerySchema = z.strictObject({
  since: z.string().optional().describe('Ingested at or after: 2026-11-01, 2026-11-01T06:00:00Z, or back from now: 90m, 36h, 7d'),
  until: z.string().optional().describe('Ingested before (same forms)'),
  path: z.string().max(1024).optional().describe('A glob on the source path, e.g. in/statements_*'),
  limit: z.coerce.number().int().min(1).max(10_000).default(DEFAULT_LEDGER_LIMIT),
});

/** GET /v1/providers/:name/ledger: the audit trail, read from the ledger in the provider's bucket. */
export function registerLedgerRoutes(app: FastifyInstance, deps: { runtime: OctoRuntime }): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/providers/:name/ledger',
    {
      schema: {
        tags: ['providers'],
        summary: 'What was ingested when, from the ledger in the provider\'s bucket',
        description: 'Each record names the source path, its size and sha256, the keys it landed at, the job and the time; newest first, filtered by time and path glob.',
        params: z.strictObject({ name: providerNameSchema }),
        querystring: ledgerQuerySchema,
        response: { 200: ledgerAnswerSchema, 400: errorSchema, 401: errorSchema, 404: errorSchema, 503: errorSchema },
      },
    },
    async (request) => {
      const { name } = request.params;
      if (!deps.runtime.providers.names().includes(name)) {
        throw new ApiError(404, `unknown provider "${name}": the configured providers are ${deps.runtime.providers.names().join(', ') || '(none)'}`);
      }
      const { since, until, path, limit } = request.query;
      let window: { since?: Date; until?: Date };
      try {
        window = { since: since === undefined ? undefined : parseLedgerTime(since), until: until === undefined ? undefined : parseLedgerTime(until) };
      } catch (error) {
        throw new ApiError(400, OctoError.is(error) ? error.message : String(error));
      }
      const handle = await deps.runtime.providers.create(name);
      try {
        return await queryLedger(handle.container.get(TYPES.Ledger), name, { ...window, path, limit });
      } catch (error) {
        if (OctoError.is(error) && error.kind === 'config') throw new ApiError(400, error.message);
        throw error;
      }
    },
  );
}
