import path from 'node:path';
import { OctoError } from '../errors/octo-error.js';
import { resolvePath } from '../config/load-config.js';
import type { SourceConfig, StoreConfig } from '../config/config-schema.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { RemoteSource } from '../ports/remote-source.js';
import type { Logger } from '../ports/logger.js';
import type { SecretResolver } from '../secrets/secret-ref.js';
import type { SourceHostKey } from './sftp/scan-source-host-keys.js';
import { LocalObjectStore } from './local/local-object-store.js';
import { LocalRemoteSource } from './local/local-remote-source.js';

/** Everything an adapter factory may need besides its own config. */
export interface AdapterDeps {
  readonly baseDir: string;
  readonly secrets: SecretResolver;
  readonly logger: Logger;
}

/** Builds a RemoteSource for a URL scheme. */
export type RemoteSourceFactory = (config: SourceConfig, deps: AdapterDeps) => RemoteSource | Promise<RemoteSource>;
/** Builds an ObjectStore for a URL scheme, for one bucket (with an optional key prefix). */
export type ObjectStoreFactory = (config: StoreConfig, bucket: string, deps: AdapterDeps) => ObjectStore | Promise<ObjectStore>;

// The SFTP and S3 adapters are loaded by the first provider that uses them: ssh2 and the S3 SDK
// take 75 and 160 ms of CPU to load and 3 and 6 MiB of heap that every full collection marks,
// which a job between local folders never needs.
const sourceFactories = new Map<string, RemoteSourceFactory>([
  ['file', (config, deps) => new LocalRemoteSource(resolvePath(deps.baseDir, config.url), { recursive: config.recursive })],
  ['sftp', async (config, deps) => (await import('./sftp/sftp-remote-source.js')).SftpRemoteSource.fromConfig(config, deps)],
]);

const storeFactories = new Map<string, ObjectStoreFactory>([
  ['file', (config, bucket, deps) => new LocalObjectStore(path.join(resolvePath(deps.baseDir, config.url), bucket))],
  ['s3', async (config, bucket, deps) => (await import('./s3/s3-object-store.js')).S3ObjectStore.fromConfig(config, bucket, deps)],
]);

/** The factory registered for the URL's scheme, or a fatal config error naming the known ones. */
function factoryFor<F>(factories: ReadonlyMap<string, F>, what: 'source' | 'store', url: string): F {
  const scheme = url.slice(0, url.indexOf(':'));
  const factory = factories.get(scheme);
  if (!factory) {
    throw new OctoError('config', `no ${what} adapter for ${scheme}:// (known: ${[...factories.keys()].map((s) => `${s}://`).join(', ')})`, { fatal: true });
  }
  return factory;
}

/** The RemoteSource for a provider's `source` config, by URL scheme. */
export async function createRemoteSource(config: SourceConfig, deps: AdapterDeps): Promise<RemoteSource> {
  return factoryFor(sourceFactories, 'source', config.url)(config, deps);
}

/** The ObjectStore for one bucket of the `store` config, by URL scheme. */
export async function createObjectStore(config: StoreConfig, bucket: string, deps: AdapterDeps): Promise<ObjectStore> {
  return factoryFor(storeFactories, 'store', config.url)(config, bucket, deps);
}

/** `octo hostkey scan` (see `sftp/scan-source-host-keys.ts`), loaded with ssh2 on first use like the SFTP adapter. */
export async function scanSourceHostKeys(config: SourceConfig, deps: AdapterDeps): Promise<{ readonly host: string; readonly port: number; readonly keys: readonly SourceHostKey[] }> {
  return (await import('./sftp/scan-source-host-keys.js')).scanSourceHostKeys(config, deps);
}
