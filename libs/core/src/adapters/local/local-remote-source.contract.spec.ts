import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { remoteSourceContract } from '../../testing/remote-source-contract.js';
import { LocalRemoteSource } from './local-remote-source.js';

let root: string | undefined;

remoteSourceContract('LocalRemoteSource', {
  async root() {
    root = await mkdtemp(path.join(tmpdir(), 'octo-source-contract-'));
    return root;
  },
  create: (folder, { recursive }) => new LocalRemoteSource(path.join(root!, folder), { recursive }),
  async dispose() {
    if (root) await rm(root, { recursive: true, force: true });
  },
});
