import { byIdentity, IN_PROGRESS_RULE, QuarantineBook, TYPES, type OctoRuntime } from '@octo/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ApiError } from '../http/api-error.js';
import { errorSchema, providerNameSchema } from '../http/schemas.js';
import type { ZodTypeProvider } from '../http/zod-type-provider.js';

/** At most this many files are listed in one answer; `count` is always the whole number. */
const MAX_LISTED = 1000;

/** The body of GET /v1/providers/:name/pending. */
export const pendingAnswerSchema = z.object({
  provider: z.string(),
  count: z.number().int().describe('Files pending in all'),
  files: z
    .array(z.object({ path: z.string(), size: z.number(), modifiedAt: z.string() }))
    .describe(`Oldest first, at most ${MAX_LISTED}`),
  quarantined: z
    .number()
    .int()
    .describe('Files quarantined after repeated failures: not in `files` (runs skip them until released), listed by GET /v1/providers/{name}/quarantine'),
  inProgress: z
    .array(z.string())
    .describe(`Paths the include globs match that no run takes, since ${IN_PROGRESS_RULE}, at most ${MAX_LISTED}`),
});

export type PendingAnswerView = z.output<typeof pendingAnswerSchema>;

/** GET /v1/providers/:name/pending: `octo pending` over HTTP, the files the next sync would take. */
export function registerPendingRoutes(app: FastifyInstance, deps: { runtime: OctoRuntime }): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/providers/:name/pending',
    {
      schema: {
        tags: ['providers'],
        summary: 'The files on the drop that the next sync would take (no ledger record yet, not quarantined)',
        description:
          'Lists the drop (one connection to the source) and reads the ledger and the quarantine; writes nothing. Quarantined files are left out, as octo pending does, and counted in `quarantined`. 503 when the source cannot be read, with why.',
        params: z.strictObject({ name: providerNameSchema }),
        response: { 200: pendingAnswerSchema, 401: errorSchema, 404: errorSchema, 503: errorSchema },
      },
    },
    async (request) => {
      const { name } = request.params;
      if (!deps.runtime.providers.names().includes(name)) {
        throw new ApiError(404, `unknown provider "${name}": the configured providers are ${deps.runtime.providers.names().join(', ') || '(none)'}`);
      }
      const handle = await deps.runtime.providers.create(name);
      const job = handle.syncJob();
      const book = new QuarantineBook(handle.container.get(TYPES.ObjectStore), name, handle.context.config.quarantine.after);
      try {
        const [{ pending: listed, inProgress }, entries] = await Promise.all([job.pendingAndWaiting(), book.entries()]);
        const files = withoutQuarantined(book, listed, entries).sort((a, b) => a.mtimeMs - b.mtimeMs || (a.path < b.path ? -1 : 1));
        return {
          provider: name,
          count: files.length,
          files: files.slice(0, MAX_LISTED).map((file) => ({ path: file.path, size: file.size, modifiedAt: new Date(file.mtimeMs).toISOString() })),
          quarantined: entries.filter((entry) => entry.quarantined).length,
          inProgress: inProgress.slice(0, MAX_LISTED),
        };
      } finally {
        await job.close();
      }
    },
  );
}

/** What the next run takes: a quarantined delivery waits for a release, as `octo pending` says. */
function withoutQuarantined<T extends Parameters<QuarantineBook['quarantinedOf']>[0]>(book: QuarantineBook, listed: readonly T[], entries: Parameters<typeof byIdentity>[0]): T[] {
  const records = byIdentity(entries);
  return listed.filter((file) => !book.quarantinedOf(file, records));
}
