import { OctoError, QuarantineBook, TYPES, type OctoRuntime } from '@octo/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ApiError } from '../http/api-error.js';
import { errorSchema, providerNameSchema } from '../http/schemas.js';
import type { ZodTypeProvider } from '../http/zod-type-provider.js';

const quarantineEntrySchema = z
  .object({
    path: z.string(),
    rawPath: z.string().optional(),
    size: z.number().describe('The delivery that failed: another size or mtime is a new delivery, tried again'),
    mtimeMs: z.number(),
    attempts: z.number().int().describe('Runs in which this delivery failed'),
    quarantined: z.boolean().describe('Whether runs skip it (attempts reached quarantine.after) until it is released'),
    firstFailedAt: z.string(),
    lastFailedAt: z.string(),
    lastKind: z.string(),
    lastReason: z.string(),
    lastJobId: z.string(),
  })
  .describe('The failures of one source file');

const quarantineAnswerSchema = z.object({
  provider: z.string(),
  after: z.number().int().describe("The provider's quarantine.after: failed runs before a file is quarantined (0: never)"),
  files: z.array(quarantineEntrySchema).describe('Every file that failed and has not landed since, by path; `quarantined` marks those runs skip'),
});

/** The body of GET /v1/providers/:name/quarantine. */
export type QuarantineAnswerView = z.output<typeof quarantineAnswerSchema>;

const releaseBodySchema = z.strictObject({ path: z.string().min(1).max(4096).describe('The source path as the quarantine lists it') }).describe('The file to release');

const releaseAnswerSchema = z.object({ provider: z.string(), released: z.array(quarantineEntrySchema).describe('What was released: the next run takes it again, counting from zero') });

/** The body of POST /v1/providers/:name/quarantine/release. */
export type ReleaseAnswerView = z.output<typeof releaseAnswerSchema>;

/**
 * GET /v1/providers/:name/quarantine (the files that keep failing, from the provider's bucket)
 * and POST /v1/providers/:name/quarantine/release (what `octo retry` does).
 */
export function registerQuarantineRoutes(app: FastifyInstance, deps: { runtime: OctoRuntime }): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const bookOf = async (name: string) => {
    if (!deps.runtime.providers.names().includes(name)) {
      throw new ApiError(404, `unknown provider "${name}": the configured providers are ${deps.runtime.providers.names().join(', ') || '(none)'}`);
    }
    const handle = await deps.runtime.providers.create(name);
    const after = handle.context.config.quarantine.after;
    return { book: new QuarantineBook(handle.container.get(TYPES.ObjectStore), name, after), after };
  };

  routes.get(
    '/v1/providers/:name/quarantine',
    {
      schema: {
        tags: ['providers'],
        summary: 'The files that keep failing: attempts, last reason, and whether runs skip them',
        description: "Read from the provider's bucket, so it answers the same from any machine. Release a quarantined file with POST /v1/providers/{name}/quarantine/release.",
        params: z.strictObject({ name: providerNameSchema }),
        response: { 200: quarantineAnswerSchema, 401: errorSchema, 404: errorSchema, 503: errorSchema },
      },
    },
    async (request) => {
      const { book, after } = await bookOf(request.params.name);
      return { provider: request.params.name, after, files: await book.entries() };
    },
  );

  routes.post(
    '/v1/providers/:name/quarantine/release',
    {
      schema: {
        tags: ['providers'],
        summary: 'Release a quarantined file: the next run takes it again',
        description: 'Forgets the failures of the file at this source path (as octo retry does). A path with no failures is 404, naming the quarantined ones.',
        params: z.strictObject({ name: providerNameSchema }),
        body: releaseBodySchema,
        response: { 200: releaseAnswerSchema, 400: errorSchema, 401: errorSchema, 404: errorSchema, 415: errorSchema, 503: errorSchema },
      },
    },
    async (request) => {
      const { book } = await bookOf(request.params.name);
      try {
        return { provider: request.params.name, released: await book.release(request.body.path) };
      } catch (error) {
        if (OctoError.is(error) && error.kind === 'config') throw new ApiError(404, error.message);
        throw error;
      }
    },
  );
}
