import { inject, injectable } from 'inversify';
import path from 'node:path';
import { TYPES } from '../../ports/identifiers.js';
import type { FileContext, FolderNamer, Router } from '../../ports/stages.js';
import { safeRelativeName } from '../../pipeline/safe-name.js';

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
    return `data/${outputTypeOf(name)}/${folder}/${name}`;
  }
}
