import { z } from 'zod';

/** A folder on the partner's server, relative to the source root, that stays inside it. */
const archiveFolderSchema = z
  .string()
  .transform((value) => value.trim().replace(/^\.\/+/, '').replace(/\/+$/, ''))
  .refine((value) => value !== '' && !value.startsWith('/') && !value.split('/').some((part) => part === '..' || part === '.' || part === ''), {
    message: 'expected a folder relative to the source root, such as archive or done/acme (no leading /, no . or .. parts)',
  });

/**
 * What is done on the partner's server with a source file once its ledger record is written:
 * `move` it (and its `.sig` and ready marker) into `to` under the source root, keeping its
 * sub-folders, or `delete` them. A name already taken in `to` gets a UTC time suffix
 * (`onCollision: suffix`, the default) or leaves the file where it is (`fail`).
 */
export const afterIngestConfigSchema = z.discriminatedUnion('action', [
  z
    .object({
      action: z.literal('move'),
      to: archiveFolderSchema,
      onCollision: z.enum(['suffix', 'fail']).default('suffix'),
    })
    .strict(),
  z.object({ action: z.literal('delete') }).strict(),
]);

export type AfterIngestConfig = z.output<typeof afterIngestConfigSchema>;
