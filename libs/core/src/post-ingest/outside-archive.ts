import type { AfterIngestConfig } from './after-ingest-config-schema.js';
import type { RemoteFile } from '../ports/remote-source.js';

/**
 * Discovery's filter for a drop that archives into itself: files under `afterIngest.to` were
 * ingested already (under their old path), so they are never taken again.
 */
export function outsideArchive(config: AfterIngestConfig | undefined): (file: RemoteFile) => boolean {
  if (config?.action !== 'move') return () => true;
  const prefix = `${config.to}/`;
  return (file) => !file.path.startsWith(prefix);
}
