import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { parseConfig, type LoadedConfig } from '../config/load-config.js';
import type { OctoConfigInput } from '../config/config-schema.js';
import { createOctoRuntime, type OctoRuntime } from '../app/octo-runtime.js';
import type { OverridablePorts } from '../providers/overridable-ports.js';
import type { ProviderPlugin } from '../providers/provider-plugin.js';
import { defineProvider } from '../providers/provider-plugin.js';

/** A throwaway Octo setup: `drop/<provider>`, `buckets/<bucket>`, `work/`, and a config file. */
export interface TempWorkspace {
  readonly dir: string;
  readonly dropDir: string;
  readonly bucketDir: string;
  readonly workDir: string;
  readonly configFile: string;
  readonly loaded: LoadedConfig;
  /** A runtime on this workspace with the given plugins. */
  runtime(plugins?: ReadonlyArray<ProviderPlugin<unknown>>): Promise<OctoRuntime>;
  cleanup(): Promise<void>;
}

/** A plugin that changes nothing: every default port. */
export const plainProvider = defineProvider({ name: 'plain', description: 'Defaults only (tests)' });

/** Options for {@link createTempWorkspace}. */
export interface TempWorkspaceOptions {
  readonly provider?: string;
  readonly plugin?: string;
  readonly bucket?: string;
  /** Merged into the provider's config entry. */
  readonly providerConfig?: Record<string, unknown>;
  /** Merged into the top-level config. */
  readonly config?: Record<string, unknown>;
  /** Files to write as secrets, relative to the workspace (e.g. `{ 'pass.txt': 'secret' }`). */
  readonly secrets?: Record<string, string>;
}

/** Creates a temp workspace with a local drop and bucket and a config that points at them. */
export async function createTempWorkspace(options: TempWorkspaceOptions = {}): Promise<TempWorkspace> {
  const provider = options.provider ?? 'plain';
  const bucket = options.bucket ?? 'test-bucket';
  const dir = await mkdtemp(path.join(tmpdir(), 'octo-test-'));
  const dropDir = path.join(dir, 'drop', provider);
  await mkdir(dropDir, { recursive: true });
  for (const [name, value] of Object.entries(options.secrets ?? {})) await writeFile(path.join(dir, name), value, { mode: 0o600 });
  const config: OctoConfigInput = {
    store: 'file://buckets',
    workDir: 'work',
    concurrency: 2,
    ...options.config,
    providers: {
      [provider]: {
        plugin: options.plugin ?? (provider === 'plain' ? 'plain' : provider),
        source: `file://drop/${provider}`,
        bucket,
        ...options.providerConfig,
      } as OctoConfigInput['providers'][string],
    },
  };
  const configFile = path.join(dir, 'octo.config.yaml');
  const text = stringify(config);
  await writeFile(configFile, text);
  const loaded: LoadedConfig = { config: parseConfig(text, configFile), file: configFile, baseDir: dir };
  return {
    dir,
    dropDir,
    bucketDir: path.join(dir, 'buckets', bucket),
    workDir: path.join(dir, 'work'),
    configFile,
    loaded,
    runtime: (plugins = [plainProvider as ProviderPlugin<unknown>]) => createOctoRuntime({ loaded, plugins }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A plugin that overrides the given ports with these values, to replace one port in a test. */
export function overridingProvider(name: string, overrides: { readonly [K in keyof OverridablePorts]?: OverridablePorts[K] }): ProviderPlugin<unknown> {
  return defineProvider({
    name,
    description: 'Test provider with replaced ports',
    register(env) {
      const overrideOne = <K extends keyof OverridablePorts>(port: K) => {
        const value = overrides[port];
        if (value !== undefined) env.override(port, { value });
      };
      for (const port of Object.keys(overrides) as Array<keyof OverridablePorts>) overrideOne(port);
    },
  }) as ProviderPlugin<unknown>;
}
