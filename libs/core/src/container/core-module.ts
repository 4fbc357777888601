import { ContainerModule } from 'inversify';
import { OpenPgpDecryptor } from '../adapters/pgp/openpgp-decryptor.js';
import { OpenPgpSignatureVerifier } from '../adapters/pgp/openpgp-signature-verifier.js';
import { DefaultFileHandler } from '../adapters/routing/default-file-handler.js';
import { DefaultFolderNamer } from '../adapters/routing/default-folder-namer.js';
import { DefaultRouter } from '../adapters/routing/default-router.js';
import { DefaultUnpacker } from '../adapters/unpack/default-unpacker.js';
import { FileProcessor } from '../pipeline/file-processor.js';
import { KeyOwnership } from '../pipeline/key-ownership.js';
import { SyncJob } from '../pipeline/sync-job.js';
import { TYPES } from '../ports/identifiers.js';
import { DefaultEntryTransform } from '../transform/default-entry-transform.js';

/**
 * The default stages every provider inherits. Bound in the root container in transient
 * scope, so each provider's child container resolves them against its own context and rebinds what differs.
 */
export const coreModule = new ContainerModule(({ bind }) => {
  bind(TYPES.SignatureVerifier).to(OpenPgpSignatureVerifier);
  bind(TYPES.Decryptor).to(OpenPgpDecryptor);
  bind(TYPES.Unpacker).to(DefaultUnpacker);
  bind(TYPES.EntryTransform).to(DefaultEntryTransform);
  bind(TYPES.FolderNamer).to(DefaultFolderNamer);
  bind(TYPES.Router).to(DefaultRouter);
  bind(TYPES.FileHandler).to(DefaultFileHandler);
  bind(KeyOwnership).toSelf();
  bind(FileProcessor).toSelf();
  bind(SyncJob).toSelf();
});
