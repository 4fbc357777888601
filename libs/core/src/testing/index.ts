/**
 * Test helpers that ship with the contract (like Backstage's `mockServices`): a temp
 * workspace with a local drop and a local bucket, a way to build a provider with ports
 * replaced, and small OpenPGP helpers. For tests only.
 */
export * from './temp-workspace.js';
export * from '../jobs/job-store-contract.js';
export * from './pgp-fixtures.js';
export * from './files.js';
export * from './big-file.js';
export * from './expect-failure.js';
export * from './archive-fixtures.js';
export * from './octo-thrown.js';
export * from './crafted-zip.js';
export * from './metered-store.js';
export * from './raw-name-archives.js';
export * from './name-arbitraries.js';
export * from './gnupg-test-home.js';
export * from './folder-rule-property.js';
export * from './webhook-receiver.js';
export * from './object-store-contract.js';
export * from './remote-source-contract.js';
export * from './decryptor-contract.js';
