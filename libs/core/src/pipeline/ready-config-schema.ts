import { z } from 'zod';

/**
 * When a provider's files may be taken: `marker: "{name}.done"`, a file beside each data file
 * (`{name}` is the data file's name), `batch: "READY"`, a file in the folder that releases
 * every file of that folder, or `manifest: "MANIFEST"`, a file in the folder listing each file's
 * name and size (`name size` or `name,size` per line) that releases the files it lists at that
 * size. Markers and manifests themselves are never ingested.
 */
export const readyConfigSchema = z.union([
  z
    .object({
      marker: z
        .string()
        .refine((value) => value.includes('{name}') && !value.includes('/') && value !== '{name}', {
          message: 'expected a file name holding {name}, such as "{name}.done" or "{name}.ok" (no folders)',
        }),
    })
    .strict(),
  z
    .object({
      batch: z.string().refine((value) => value.trim() !== '' && !value.includes('/') && !value.includes('{name}'), {
        message: 'expected one file name, such as READY or _SUCCESS (no folders, no {name}: use marker for a file per data file)',
      }),
    })
    .strict(),
  z
    .object({
      manifest: z.string().refine((value) => value.trim() !== '' && !value.includes('/') && !value.includes('{name}'), {
        message: 'expected one file name, such as MANIFEST or manifest.txt (no folders)',
      }),
    })
    .strict(),
]);

export type ReadyConfig = z.output<typeof readyConfigSchema>;
