import type { OctoConfig } from '../config/config-schema.js';
import type { LineagePlaces } from './openlineage-event.js';

/**
 * A provider's source and bucket as OpenLineage namespaces (its naming spec): an SFTP drop is
 * `sftp://host:port` with the path as the name, an S3 bucket `s3://bucket` with the key as the
 * name; local folders are namespace `file`, named relative to the config file.
 */
export function lineagePlaces(config: OctoConfig, provider: string): LineagePlaces | undefined {
  const entry = config.providers[provider];
  if (!entry) return undefined;
  const [bucket = '', ...prefix] = entry.bucket.split('/');
  const store = config.store.url.startsWith('s3://')
    ? { namespace: `s3://${bucket}`, prefix: prefix.join('/') }
    : { namespace: 'file', prefix: [config.store.url.slice('file://'.length).replace(/\/+$/, ''), entry.bucket].join('/') };
  if (entry.source.url.startsWith('sftp://')) {
    const url = new URL(entry.source.url);
    return { source: { namespace: `sftp://${url.hostname}:${url.port || '22'}`, root: decodeURIComponent(url.pathname).replace(/\/+$/, '') || '/' }, store };
  }
  return { source: { namespace: 'file', root: entry.source.url.slice('file://'.length).replace(/\/+$/, '') }, store };
}
