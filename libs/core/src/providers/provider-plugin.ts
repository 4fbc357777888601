import type { ContainerModuleLoadOptions } from 'inversify';
import type { z } from 'zod';
import type { ProviderContext } from '../ports/identifiers.js';

/** What a plugin's `register` step receives: its provider's context with settings parsed by its schema. */
export interface ProviderRegistration<S> {
  /** Bind or rebind ports in the provider's child container (`options.rebindSync(TYPES.FolderNamer)...`). */
  readonly options: ContainerModuleLoadOptions;
  readonly context: ProviderContext & { readonly settings: S };
}

/**
 * The contract every provider library exports exactly one of. The child container the
 * plugin binds into already holds every default port; a plugin rebinds only what differs
 * for its partner (folder rule, file filter, a quirky decryption).
 */
export interface ProviderPlugin<S = unknown> {
  /** Kebab-case id, e.g. `acme-bank`; config entries name it with `plugin:` (or by their own name). */
  readonly name: string;
  /** One line for `octo providers`. */
  readonly description: string;
  /** A zod schema for the provider's own `settings:` block. */
  readonly settings?: z.ZodType<S>;
  /** Binds what differs into the provider's child container. */
  register?(registration: ProviderRegistration<S>): void | Promise<void>;
}

/** Declares a provider plugin with its settings type inferred from its schema. */
export function defineProvider<S = undefined>(plugin: ProviderPlugin<S>): ProviderPlugin<S> {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(plugin.name)) {
    throw new Error(`provider plugin name "${plugin.name}" must be kebab-case, e.g. acme-bank`);
  }
  return plugin;
}
