import type { ServiceIdentifier } from 'inversify';
import type { Decryptor } from '../ports/decryptor.js';
import type { EntryTransform } from '../ports/entry-transform.js';
import type { FileHandler } from '../ports/file-handler.js';
import type { FolderNamer } from '../ports/folder-namer.js';
import { TYPES } from '../ports/identifiers.js';
import type { Ledger } from '../ports/ledger.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { RemoteSource } from '../ports/remote-source.js';
import type { Router } from '../ports/router.js';
import type { SignatureVerifier } from '../ports/signature-verifier.js';
import type { Unpacker } from '../ports/unpacker.js';

/**
 * The ports a plugin may override, by the name it overrides them with. The stages are what
 * partners differ in; `objectStore` and `ledger` are here for instruments and tests (a store
 * that counts or fails requests): the commit protocol over them stays core's.
 */
export interface OverridablePorts {
  remoteSource: RemoteSource;
  objectStore: ObjectStore;
  ledger: Ledger;
  signatureVerifier: SignatureVerifier;
  decryptor: Decryptor;
  unpacker: Unpacker;
  entryTransform: EntryTransform;
  router: Router;
  folderNamer: FolderNamer;
  fileHandler: FileHandler;
}

/** Each overridable port's identifier. */
export const OVERRIDABLE_PORTS: { readonly [K in keyof OverridablePorts]: ServiceIdentifier<OverridablePorts[K]> } = {
  remoteSource: TYPES.RemoteSource,
  objectStore: TYPES.ObjectStore,
  ledger: TYPES.Ledger,
  signatureVerifier: TYPES.SignatureVerifier,
  decryptor: TYPES.Decryptor,
  unpacker: TYPES.Unpacker,
  entryTransform: TYPES.EntryTransform,
  router: TYPES.Router,
  folderNamer: TYPES.FolderNamer,
  fileHandler: TYPES.FileHandler,
};
