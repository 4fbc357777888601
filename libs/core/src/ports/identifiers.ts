import type { ServiceIdentifier } from 'inversify';
import type { LimitsConfig, ProviderConfig } from '../config/config-schema.js';
import type { SecretResolver } from '../secrets/secret-ref.js';
import type { Ledger } from './ledger.js';
import type { ObjectStore } from './object-store.js';
import type { RemoteSource } from './remote-source.js';
import type { Decryptor } from './decryptor.js';
import type { FileHandler } from './file-handler.js';
import type { FolderNamer } from './folder-namer.js';
import type { Router } from './router.js';
import type { SignatureVerifier } from './signature-verifier.js';
import type { Unpacker } from './unpacker.js';
import type { EntryTransform } from './entry-transform.js';
import type { Logger } from './logger.js';

/** Settings a provider's container is built with (its config entry, resolved). */
export interface ProviderContext {
  readonly name: string;
  readonly config: ProviderConfig;
  /** The plugin's own settings, parsed by its schema. */
  readonly settings: unknown;
  /** Folder for temporary files (zip spools); cleaned by the stage that writes there. */
  readonly workDir: string;
  readonly limits: LimitsConfig;
  /** Files processed at once (the provider's, else the global, setting). */
  readonly concurrency: number;
  /** The config file's folder: relative paths in config resolve against it. */
  readonly baseDir: string;
}

/** Typed service identifiers; bind and inject through these, never through strings. */
export const TYPES = {
  RemoteSource: Symbol.for('@octo/core/RemoteSource') as ServiceIdentifier<RemoteSource>,
  ObjectStore: Symbol.for('@octo/core/ObjectStore') as ServiceIdentifier<ObjectStore>,
  Ledger: Symbol.for('@octo/core/Ledger') as ServiceIdentifier<Ledger>,
  SignatureVerifier: Symbol.for('@octo/core/SignatureVerifier') as ServiceIdentifier<SignatureVerifier>,
  Decryptor: Symbol.for('@octo/core/Decryptor') as ServiceIdentifier<Decryptor>,
  Unpacker: Symbol.for('@octo/core/Unpacker') as ServiceIdentifier<Unpacker>,
  EntryTransform: Symbol.for('@octo/core/EntryTransform') as ServiceIdentifier<EntryTransform>,
  Router: Symbol.for('@octo/core/Router') as ServiceIdentifier<Router>,
  FolderNamer: Symbol.for('@octo/core/FolderNamer') as ServiceIdentifier<FolderNamer>,
  FileHandler: Symbol.for('@octo/core/FileHandler') as ServiceIdentifier<FileHandler>,
  ProviderContext: Symbol.for('@octo/core/ProviderContext') as ServiceIdentifier<ProviderContext>,
  SecretResolver: Symbol.for('@octo/core/SecretResolver') as ServiceIdentifier<SecretResolver>,
  Logger: Symbol.for('@octo/core/Logger') as ServiceIdentifier<Logger>,
} as const;
