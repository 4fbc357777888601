import path from 'node:path';
import { Container } from 'inversify';
import { createObjectStore, createRemoteSource } from '../adapters/adapter-factories.js';
import { ObjectStoreLedger } from '../adapters/ledger/object-store-ledger.js';
import { decryptionEngines } from '../adapters/pgp/decryption-engines.js';
import type { LoadedConfig } from '../config/load-config.js';
import type { ProviderConfig } from '../config/config-schema.js';
import { formatIssues, resolvePath, shownPath } from '../config/load-config.js';
import { OctoError } from '../errors/octo-error.js';
import { TYPES, type ProviderContext } from '../ports/identifiers.js';
import { silentLogger, type Logger } from '../ports/logger.js';
import { SecretResolver } from '../secrets/secret-ref.js';
import { SyncJob } from '../pipeline/sync-job.js';
import { PluginOverrides } from './plugin-overrides.js';
import type { ProviderEnvironment, ProviderPlugin } from './provider-plugin.js';

/** A provider resolved to its own child container. */
export interface ProviderHandle {
  readonly name: string;
  readonly plugin: ProviderPlugin<unknown>;
  readonly context: ProviderContext;
  readonly container: Container;
  /** The provider's pipeline (a new one per call). */
  syncJob(): SyncJob;
}

/** One configured provider as listings show it. */
export interface ProviderSummary {
  readonly name: string;
  readonly plugin: string;
  readonly description: string;
  readonly source: string;
  readonly bucket: string;
}

/**
 * Resolves a configured provider by name to its child container: the root's defaults,
 * plus this provider's context, source, store and ledger, plus whatever its plugin rebinds.
 */
export class ProviderFactory {
  private readonly plugins: Map<string, ProviderPlugin<unknown>>;

  constructor(
    private readonly root: Container,
    plugins: ReadonlyArray<ProviderPlugin<unknown>>,
    private readonly loaded: LoadedConfig,
    private readonly logger: Logger = silentLogger,
  ) {
    this.plugins = new Map();
    for (const plugin of plugins) {
      if (this.plugins.has(plugin.name)) {
        throw new OctoError('config', `two installed plugins are named "${plugin.name}": each plugin name must be unique, remove one from the registry`, { fatal: true });
      }
      this.plugins.set(plugin.name, plugin);
    }
  }

  /** Configured provider names, sorted. */
  names(): string[] {
    return Object.keys(this.loaded.config.providers).sort();
  }

  /** Installed plugin names, sorted. */
  pluginNames(): string[] {
    return [...this.plugins.keys()].sort();
  }

  list(): ProviderSummary[] {
    return Object.entries(this.loaded.config.providers).sort(([a], [b]) => a.localeCompare(b)).map(([name, config]) => {
      const pluginName = config.plugin ?? name;
      return {
        name,
        plugin: pluginName,
        description: this.plugins.get(pluginName)?.description ?? '(plugin not installed)',
        source: redactUrl(config.source.url),
        bucket: config.bucket,
      };
    });
  }

  /** Throws a fatal config error that lists the configured providers when `name` is not one. */
  assertConfigured(name: string): void {
    this.configOf(name);
  }

  private configOf(name: string): ProviderConfig {
    const config = this.loaded.config.providers[name];
    if (config) return config;
    const known = this.names();
    throw new OctoError('config', `unknown provider "${name}": the configured providers are ${known.length ? known.join(', ') : '(none)'}`, { fatal: true });
  }

  /** Builds the provider `name`: its context, source, store and ledger, and its plugin's overrides (see {@link ProviderEnvironment}). */
  async create(name: string): Promise<ProviderHandle> {
    const config = this.configOf(name);
    const pluginName = config.plugin ?? name;
    const plugin = this.plugins.get(pluginName);
    if (!plugin) {
      throw new OctoError(
        'config',
        `provider "${name}" uses plugin "${pluginName}", which is not installed: the installed plugins are ${this.pluginNames().join(', ')}`,
        { fatal: true },
      );
    }
    const settings = this.parseSettings(name, plugin, config);
    const { config: global, baseDir } = this.loaded;
    const context: ProviderContext = {
      name,
      config,
      settings,
      workDir: path.join(resolvePath(baseDir, global.workDir), 'tmp'),
      limits: global.limits,
      concurrency: config.concurrency ?? global.concurrency,
      baseDir,
    };
    const secrets = new SecretResolver(baseDir);
    const deps = { baseDir, secrets, logger: this.logger };
    const source = await createRemoteSource(config.source, deps);
    const store = await createObjectStore(global.store, config.bucket, deps);

    const container = new Container({ parent: this.root });
    container.bind(TYPES.ProviderContext).toConstantValue(context);
    container.bind(TYPES.SecretResolver).toConstantValue(secrets);
    container.bind(TYPES.Logger).toConstantValue(this.logger);
    container.bind(TYPES.RemoteSource).toConstantValue(source);
    container.bind(TYPES.ObjectStore).toConstantValue(store);
    container.bind(TYPES.Ledger).toConstantValue(new ObjectStoreLedger(store));
    container.bind(TYPES.Decryptor).to(decryptionEngines[config.decryption.engine]);
    if (plugin.settings) container.bind(plugin.settings.token).toConstantValue(settings);
    await this.register(plugin, context, settings, container);
    return { name, plugin, context, container, syncJob: () => container.get(SyncJob) };
  }

  /** The provider's `settings:` block parsed by its plugin's schema, each error at its config path. */
  private parseSettings(name: string, plugin: ProviderPlugin<unknown>, config: ProviderConfig): unknown {
    if (!plugin.settings) {
      if (config.settings === undefined) return undefined;
      throw new OctoError('config', `config ${shownPath(this.loaded.file)} is invalid:\n  providers.${name}.settings: plugin "${plugin.name}" takes no settings; remove the block`, { fatal: true });
    }
    const parsed = plugin.settings.schema.safeParse(config.settings ?? {});
    if (!parsed.success) {
      throw new OctoError('config', `config ${shownPath(this.loaded.file)} is invalid:\n${formatIssues(parsed.error.issues).replace(/^ {2}/gm, `  providers.${name}.settings.`)}`, { fatal: true });
    }
    return parsed.data;
  }

  /** Runs the plugin's register step against its facade, then binds what it overrides. */
  private async register(plugin: ProviderPlugin<unknown>, context: ProviderContext, settings: unknown, container: Container): Promise<void> {
    const overrides = new PluginOverrides(plugin.name, context.name);
    const env: ProviderEnvironment<unknown> = {
      provider: context,
      settings,
      override: (port, implementation) => overrides.add(port, implementation),
    };
    try {
      await plugin.register?.(env);
    } catch (error) {
      if (OctoError.is(error)) throw error;
      throw new OctoError('config', `plugin "${plugin.name}" failed to set up provider "${context.name}": ${error instanceof Error ? error.message : String(error)}`, {
        fatal: true,
        cause: error,
      });
    }
    overrides.apply(container);
  }
}

/** Drops any password from a URL before it is shown. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z0-9]+:\/\/)([^:@/]+):[^@/]*@/i, '$1$2:***@');
}
