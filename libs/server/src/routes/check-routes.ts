import { checkProvider, type OctoRuntime } from '@octo/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ApiError } from '../http/api-error.js';
import { errorSchema, providerNameSchema } from '../http/schemas.js';
import type { ZodTypeProvider } from '../http/zod-type-provider.js';

const checkStepSchema = z.object({
  step: z.enum(['secrets', 'keys', 'connect', 'login', 'list', 'read', 'bucket']),
  status: z.enum(['pass', 'warn', 'fail', 'skip']),
  detail: z.string(),
  seconds: z.number(),
});

/** The body of GET /v1/providers/:name/check. */
export const providerCheckSchema = z.object({ provider: z.string(), ok: z.boolean(), steps: z.array(checkStepSchema) });
export type ProviderCheckView = z.output<typeof providerCheckSchema>;

/** GET /v1/providers/:name/check: `octo check` over HTTP. */
export function registerCheckRoutes(app: FastifyInstance, deps: { runtime: OctoRuntime }): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/providers/:name/check',
    {
      schema: {
        tags: ['providers'],
        summary: "Check a provider's setup: secrets, keys, host key, login, listing, a read, the bucket",
        description:
          'Each step passes or gives its reason, with its time in seconds. 200 whether or not a step failed (`ok` says); nothing is written but a bucket probe object that is removed again.',
        params: z.strictObject({ name: providerNameSchema }),
        response: { 200: providerCheckSchema, 401: errorSchema, 404: errorSchema },
      },
    },
    async (request) => {
      const { name } = request.params;
      if (!deps.runtime.providers.names().includes(name)) {
        throw new ApiError(404, `unknown provider "${name}": the configured providers are ${deps.runtime.providers.names().join(', ') || '(none)'}`);
      }
      const result = await checkProvider(deps.runtime.providers, name);
      return { ...result, steps: [...result.steps] };
    },
  );
}
