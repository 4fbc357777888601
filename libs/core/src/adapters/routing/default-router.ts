import { inject, injectable } from 'inversify';
import path from 'node:path';
import { OctoError } from '../../errors/octo-error.js';
import { TYPES } from '../../ports/identifiers.js';
import type { FileContext } from '../../ports/file-context.js';
import type { FolderNamer } from '../../ports/folder-namer.js';
import type { Router } from '../../ports/router.js';
import { safeRelativeName } from '../../rules/safe-name.js';
import { MAX_KEY_BYTES } from '../local/object-key.js';

/** The output type folder, from the final extension (case-insensitive). */
export type OutputType = 'csv' | 'pdf' | 'xml' | 'other';

export function outputTypeOf(name: string): OutputType {
  const ext = path.posix.extname(name).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.pdf') return 'pdf';
  if (ext === '.xml') return 'xml';
  return 'other';
}

/**
 * The legacy S3 layout that downstream readers depend on:
 * `data/<csv|pdf|xml|other>/<folder>/<name>`, the folder from the provider's FolderNamer.
 */
@injectable()
export class DefaultRouter implements Router {
  constructor(@inject(TYPES.FolderNamer) private readonly folders: FolderNamer) {}

  route(entry: { name: string }, context: FileContext): string {
    const name = safeRelativeName(entry.name, 'output name');
    const folder = safeRelativeName(this.folders.folderFor(entry, context), 'folder');
    return checkKeyLength(`data/${outputTypeOf(name)}/${folder}/${name}`);
  }
}

function checkKeyLength(key: string): string {
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_KEY_BYTES) {
    throw new OctoError('route', `the key for "${key.slice(0, 80)}..." would be ${bytes} bytes, more than the ${MAX_KEY_BYTES} S3 allows; shorten the name or the folder rule`);
  }
  return key;
}
