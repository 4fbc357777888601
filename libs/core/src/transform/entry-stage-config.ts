import { z } from 'zod';
import { isKnownCharset } from './charset-to-utf8.js';

/** Which entries a block applies to: globs on the entry's name in its archive (the file's own name when it is not one), any case. */
const entriesSchema = z.array(z.string().min(1)).min(1).default(['**/*.csv']);

/** A provider's `transform:` block: rewrites applied to each matching entry before it is checked and landed. */
export const transformConfigSchema = z
  .object({
    entries: entriesSchema,
    /** The character set the partner writes; the entry is re-encoded from it to UTF-8. */
    charset: z
      .string()
      .refine(isKnownCharset, { error: (issue) => `unknown character set ${JSON.stringify(issue.input)}: expected a WHATWG encoding label such as windows-1252, latin1, iso-8859-15 or utf-16le` })
      .optional(),
    /** Every line ending (CRLF, LF, a lone CR) rewritten to this. */
    lineEndings: z.enum(['lf', 'crlf']).optional(),
    /** Drop a UTF-8 byte order mark at the start. */
    stripBom: z.boolean().default(false),
  })
  .strict();

/** A trailer pattern: a regular expression whose first capture group is the stated row count. */
const trailerSchema = z.string().superRefine((source, ctx) => {
  let groups: number;
  try {
    groups = new RegExp(`${source}|`).exec('')?.length ?? 1;
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `not a regular expression: ${(error as Error).message}` });
    return;
  }
  if (groups < 2) ctx.addIssue({ code: 'custom', message: 'expected a pattern with a capture group around the row count, e.g. ^TRAILER,(\\d+)$' });
});

const rowBoundsSchema = z.union([
  z.number().int().nonnegative(),
  z
    .object({ min: z.number().int().nonnegative().optional(), max: z.number().int().nonnegative().optional() })
    .strict()
    .refine((bounds) => bounds.min === undefined || bounds.max === undefined || bounds.min <= bounds.max, 'min is above max'),
]);

/** The CSV checks of a provider's `validate:` block. */
export const csvValidationSchema = z
  .object({
    delimiter: z.string().min(1).max(4).default(','),
    /** The header's names in order; `true`: a header line with any names; `false`: no header line. */
    header: z.union([z.array(z.string()).min(1), z.boolean()]).default(true),
    /** Fields per row; defaults to the header's. */
    columns: z.number().int().positive().optional(),
    /** Data rows (header and trailer not counted): a number, or `{ min, max }`. */
    rows: rowBoundsSchema.optional(),
    /** The last line states the row count: a pattern whose first capture group is the number. */
    trailer: trailerSchema.optional(),
  })
  .strict()
  .refine((csv) => !(Array.isArray(csv.header) && csv.columns !== undefined && csv.columns !== csv.header.length), {
    message: 'columns differs from the number of header names; give one of the two',
    path: ['columns'],
  });

/** A provider's `validate:` block: checks on each matching entry, after `transform:`. */
export const validateConfigSchema = z
  .object({
    entries: entriesSchema,
    /** Every byte is UTF-8 (after `transform.charset`, when set). */
    utf8: z.boolean().default(true),
    csv: csvValidationSchema.optional(),
  })
  .strict();

export type TransformConfig = z.output<typeof transformConfigSchema>;
export type ValidateConfig = z.output<typeof validateConfigSchema>;
