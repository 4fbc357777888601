import type { JobStatus, JobSummary } from '../ports/job-events.js';

/** The OpenLineage spec version the events follow. */
export const OPENLINEAGE_SCHEMA_URL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';

/** Who produced the events (OpenLineage's `producer`). */
export const OPENLINEAGE_PRODUCER = 'https://github.com/octo/octo';

/** A dataset as OpenLineage names it: `sftp://host:port` + path, `s3://bucket` + key. */
export interface LineageDataset {
  readonly namespace: string;
  readonly name: string;
}

/** An OpenLineage RunEvent (the fields Octo sends). */
export interface OpenLineageRunEvent {
  readonly eventType: 'START' | 'COMPLETE' | 'FAIL' | 'ABORT';
  readonly eventTime: string;
  readonly producer: string;
  readonly schemaURL: string;
  readonly run: { readonly runId: string; readonly facets?: Record<string, unknown> };
  readonly job: { readonly namespace: string; readonly name: string };
  readonly inputs: readonly LineageDataset[];
  readonly outputs: readonly LineageDataset[];
}

/** Where a provider's files come from and land, as lineage datasets. */
export interface LineagePlaces {
  /** The source's namespace (`sftp://host:port`, `file`) and its root path. */
  readonly source: { readonly namespace: string; readonly root: string };
  /** The bucket's namespace (`s3://bucket`, `file`) and the key prefix in it. */
  readonly store: { readonly namespace: string; readonly prefix: string };
}

/** START, when a job of `provider` starts. */
export function lineageStart(namespace: string, provider: string, runId: string, at: string): OpenLineageRunEvent {
  return { eventType: 'START', eventTime: at, producer: OPENLINEAGE_PRODUCER, schemaURL: OPENLINEAGE_SCHEMA_URL, run: { runId }, job: { namespace, name: provider }, inputs: [], outputs: [] };
}

/**
 * COMPLETE (every file landed, or some: the landed ones are the lineage), FAIL (the job could not
 * run) or ABORT (cancelled), with every ingested source file as an input and every landed
 * object as an output.
 */
export function lineageEnd(namespace: string, summary: JobSummary, places: LineagePlaces): OpenLineageRunEvent {
  const done = summary.files.flatMap((file) => (file.status === 'done' ? [file] : []));
  const inputs = done.map((file) => ({ namespace: places.source.namespace, name: joinPath(places.source.root, file.path) }));
  const outputs = done.flatMap((file) => file.outputs.map((output) => ({ namespace: places.store.namespace, name: joinPath(places.store.prefix, output.key) })));
  const eventType = endType(summary.status);
  const facets =
    eventType === 'FAIL'
      ? { errorMessage: { _producer: OPENLINEAGE_PRODUCER, _schemaURL: 'https://openlineage.io/spec/facets/1-0-0/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet', message: summary.error?.reason ?? `${summary.failed} file(s) failed`, programmingLanguage: 'TypeScript' } }
      : undefined;
  return {
    eventType,
    eventTime: summary.finishedAt,
    producer: OPENLINEAGE_PRODUCER,
    schemaURL: OPENLINEAGE_SCHEMA_URL,
    run: { runId: summary.jobId, ...(facets ? { facets } : {}) },
    job: { namespace, name: summary.provider },
    inputs,
    outputs,
  };
}

function endType(status: JobStatus): OpenLineageRunEvent['eventType'] {
  if (status === 'cancelled') return 'ABORT';
  if (status === 'succeeded' || status === 'partial') return 'COMPLETE';
  return 'FAIL';
}

function joinPath(root: string, relative: string): string {
  if (root === '' || root === '/') return root === '/' ? `/${relative}` : relative;
  return `${root.replace(/\/+$/, '')}/${relative}`;
}
