import type { Newable } from 'inversify';
import type { ProviderContext } from '../ports/identifiers.js';
import type { OverridablePorts } from './overridable-ports.js';
import type { ProviderSettings } from './provider-settings.js';

/** What replaces a port: a class the container builds (with its `@inject` dependencies), or a ready value. */
export type PortImplementation<T> = Newable<T> | { readonly value: T };

/**
 * What a plugin's `register` step gets: the provider it is building, its parsed settings, and
 * one way to change the provider's stages. Never the container: the factory decides how an
 * override is bound, so a plugin cannot bind a port the wrong way.
 */
export interface ProviderEnvironment<S> {
  /** The provider being built: its name, config entry (validated), limits and folders. */
  readonly provider: ProviderContext;
  /** The provider's `settings:` block, parsed by the plugin's schema (`undefined` without one). */
  readonly settings: S;
  /**
   * Replaces one of core's ports for this provider (see {@link OverridablePorts}), once per port.
   * An unknown port, a second override of a port, or a stage that cannot be built fails the
   * provider at start, naming the plugin and the port.
   */
  override<K extends keyof OverridablePorts>(port: K, implementation: PortImplementation<OverridablePorts[K]>): void;
}

/**
 * The contract every provider library exports exactly one of. The provider inherits every
 * default port; a plugin overrides only what differs for its partner (folder rule, file
 * handler, a quirky decryption).
 */
export interface ProviderPlugin<S = unknown> {
  /** Kebab-case id, e.g. `acme-bank`; config entries name it with `plugin:` (or by their own name). */
  readonly name: string;
  /** One line for `octo providers`. */
  readonly description: string;
  /** The plugin's own `settings:` block (see {@link providerSettings}); without it, the block must be absent. */
  readonly settings?: ProviderSettings<S>;
  /** Says what differs for this partner. */
  register?(env: ProviderEnvironment<S>): void | Promise<void>;
}

/** Declares a provider plugin, its settings type inferred from its {@link ProviderSettings}. */
export function defineProvider<S = undefined>(plugin: ProviderPlugin<S>): ProviderPlugin<S> {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(plugin.name)) {
    throw new Error(`provider plugin name "${plugin.name}" must be kebab-case, e.g. acme-bank`);
  }
  if (plugin.settings && plugin.settings.plugin !== plugin.name) {
    throw new Error(`provider plugin "${plugin.name}" declares the settings of plugin "${plugin.settings.plugin}": make them with providerSettings('${plugin.name}', schema)`);
  }
  return plugin;
}
