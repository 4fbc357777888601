import { existsSync } from 'node:fs';
import { LocalRemoteSource, type ListOptions, type RemoteFile } from '@octo/core';
import { writeSampleDrop } from './sample-drop.js';

/**
 * The example's local drop: on first use (the folder does not exist yet) it is seeded with
 * the sample files, so `octo sync example` works right after install.
 */
export class SeedingRemoteSource extends LocalRemoteSource {
  constructor(private readonly folder: string, options: { recursive?: boolean } = {}) {
    super(folder, options);
  }

  override async list(options?: ListOptions): Promise<RemoteFile[]> {
    if (!existsSync(this.folder)) await writeSampleDrop(this.folder);
    return super.list(options);
  }
}
