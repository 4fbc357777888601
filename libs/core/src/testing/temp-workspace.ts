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
import { testApiConfig } from './test-api.js';
import { writeTestDrop, type TestDropFile } from './test-drop.js';
import { testKeys, type TestKeys } from './test-keys.js';

/** A throwaway Octo setup: `drop/<provider>`, `buckets/<bucket>`, `work/`, and a config file. */
export interface TempWorkspace {
  readonly dir: string;
  /** The main provider's drop folder. */
  readonly dropDir: string;
  /** The main provider's bucket folder. */
  readonly bucketDir: string;
  readonly workDir: string;
  /** The config file (YAML, paths relative to {@link dir}). */
  readonly configFile: string;
  readonly loaded: LoadedConfig;
  /** The drop folder of any provider of the config. */
  dropDirOf(provider: string): string;
  /** The folder of any bucket of the config. */
  bucketDirOf(bucket: string): string;
  /** The keys every provider decrypts with, when {@link TempWorkspaceOptions.testKeys} (or `testDrop`) asked for them. */
  readonly keys: TestKeys | undefined;
  /** Writes the test drop ({@link writeTestDrop}) into a provider's drop (default the main one); needs the test keys. */
  writeTestDrop(provider?: string): Promise<TestDropFile[]>;
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
  /**
   * More providers, name -> entry merged over `{ plugin: name, source: file://drop/<name>, bucket: <name>-bucket }`.
   */
  readonly providers?: Record<string, Record<string, unknown>>;
  /** Generate the test keys into `keys/` and give every provider a `decryption:` block that uses them. */
  readonly testKeys?: boolean;
  /** Like `testKeys`, and write the test drop into the main provider's drop. */
  readonly testDrop?: boolean;
}

/**
 * Creates a temp workspace with a local drop and bucket per provider and a config that points at
 * them; every path in the config is relative, so no message shows the machine's folders.
 */
export async function createTempWorkspace(options: TempWorkspaceOptions = {}): Promise<TempWorkspace> {
  const provider = options.provider ?? 'plain';
  const bucket = options.bucket ?? 'test-bucket';
  const dir = await mkdtemp(path.join(tmpdir(), 'octo-test-'));
  const dropDirOf = (name: string) => path.join(dir, 'drop', name);
  await mkdir(dropDirOf(provider), { recursive: true });
  for (const [name, value] of Object.entries(options.secrets ?? {})) await writeFile(path.join(dir, name), value, { mode: 0o600 });
  const keys = options.testKeys || options.testDrop ? await writeTestKeys(dir) : undefined;
  const decryption = keys ? { decryption: TEST_KEYS_DECRYPTION } : {};
  const extra = Object.entries(options.providers ?? {}).map(([name, entry]) => [name, { plugin: name, source: `file://drop/${name}`, bucket: `${name}-bucket`, ...decryption, ...entry }]);
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
        ...decryption,
        ...options.providerConfig,
      } as OctoConfigInput['providers'][string],
      ...(Object.fromEntries(extra) as OctoConfigInput['providers']),
    },
  };
  const configFile = path.join(dir, 'octo.config.yaml');
  const text = stringify(config);
  await writeFile(configFile, text);
  const loaded: LoadedConfig = { config: parseConfig(text, configFile), file: configFile, baseDir: dir };
  const workspace: TempWorkspace = {
    dir,
    dropDir: dropDirOf(provider),
    bucketDir: path.join(dir, 'buckets', bucket),
    workDir: path.join(dir, 'work'),
    configFile,
    loaded,
    dropDirOf,
    bucketDirOf: (name) => path.join(dir, 'buckets', name),
    keys,
    writeTestDrop: (name = provider) => {
      if (!keys) throw new Error('writeTestDrop needs the test keys: create the workspace with testKeys: true');
      return writeTestDrop(dropDirOf(name), keys);
    },
    runtime: (plugins = [plainProvider as ProviderPlugin<unknown>]) => createOctoRuntime({ loaded, plugins }),
    // A job may still be writing when a test ends: retry instead of failing on ENOTEMPTY.
    cleanup: () => rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 }),
  };
  if (options.testDrop) await workspace.writeTestDrop();
  return workspace;
}

/** The `decryption:` block of a provider that decrypts with the workspace's test keys. */
const TEST_KEYS_DECRYPTION = { passphrase: 'file:keys/passphrase.txt', privateKeys: [{ key: 'file:keys/private.asc' }] };

async function writeTestKeys(dir: string): Promise<TestKeys> {
  const keys = await testKeys();
  await mkdir(path.join(dir, 'keys'), { recursive: true });
  await writeFile(path.join(dir, 'keys', 'private.asc'), keys.privateKey, { mode: 0o600 });
  await writeFile(path.join(dir, 'keys', 'passphrase.txt'), `${keys.passphrase}\n`, { mode: 0o600 });
  return keys;
}

/**
 * The workspace the server's and the apps' tests share: provider `example` (plugin
 * {@link testPartnerProvider}, bucket `example-bucket`, `*.md` excluded) with the test drop written,
 * an `api:` block ({@link testApiConfig}), and with `slow`, provider `slow-example` (plugin
 * {@link slowTestPartnerProvider}, bucket `slow-bucket`, drop empty).
 */
export function createTestPartnerWorkspace(options: { slow?: boolean; api?: Record<string, unknown>; testDrop?: boolean } = {}): Promise<TempWorkspace> {
  return createTempWorkspace({
    provider: 'example',
    plugin: 'test-partner',
    bucket: 'example-bucket',
    providerConfig: { exclude: ['**/*.md'] },
    testDrop: options.testDrop ?? true,
    testKeys: true,
    config: { api: testApiConfig(options.api) },
    providers: options.slow ? { 'slow-example': { plugin: 'slow-test-partner', bucket: 'slow-bucket' } } : {},
  });
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
