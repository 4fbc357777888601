import { providerSettings } from '@octo/core';
import { z } from 'zod';

/** The `settings:` block of a `globex-payroll` entry in octo.config.yaml. */
export const globexPayrollSettingsSchema = z
  .object({
    /** The manifest's entry name at the bundle's root. */
    manifest: z.string().regex(/^[^/\\]+$/, 'expected a file name at the bundle root, e.g. manifest.xml').default('manifest.xml'),
    /** Land the manifest too (at `data/xml/<YYYY>-W<ww>/manifest.xml`); by default only listed files land. */
    landManifest: z.boolean().default(false),
  })
  .strict();

/** Parsed settings of a `globex-payroll` provider. */
export type GlobexPayrollSettings = z.output<typeof globexPayrollSettingsSchema>;

/** Largest manifest read into memory; a bigger one fails its bundle rather than the process. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** The plugin's settings and the token its stages inject them by. */
export const globexPayrollSettings = providerSettings('globex-payroll', globexPayrollSettingsSchema);
