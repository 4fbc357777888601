import type { ServiceIdentifier } from 'inversify';
import type { z } from 'zod';

/**
 * A plugin's own settings: the zod schema that parses its provider's `settings:` block, and the
 * token its stages inject the parsed value by (`@inject(acmeSettings.token) settings: AcmeSettings`),
 * so no stage casts the provider context's settings or sees the rest of the context.
 */
export interface ProviderSettings<S> {
  /** The plugin the settings belong to; {@link defineProvider} refuses another plugin's. */
  readonly plugin: string;
  readonly schema: z.ZodType<S>;
  readonly token: ServiceIdentifier<S>;
}

/** Declares a plugin's settings: its schema and the injection token of the parsed value, typed by the schema. */
export function providerSettings<Schema extends z.ZodType>(plugin: string, schema: Schema): ProviderSettings<z.output<Schema>> {
  return {
    plugin,
    schema: schema as z.ZodType<z.output<Schema>>,
    token: Symbol.for(`@octo/provider-${plugin}/settings`) as ServiceIdentifier<z.output<Schema>>,
  };
}
