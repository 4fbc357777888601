import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { objectStoreContract } from '../../testing/object-store-contract.js';
import { LocalObjectStore } from './local-object-store.js';

const roots: string[] = [];

objectStoreContract('LocalObjectStore', {
  async create() {
    const root = await mkdtemp(path.join(tmpdir(), 'octo-store-contract-'));
    roots.push(root);
    return new LocalObjectStore(root);
  },
  async dispose() {
    await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
  },
});
