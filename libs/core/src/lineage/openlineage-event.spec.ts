import { describe, expect, it } from 'vitest';
import { configSchema } from '../config/config-schema.js';
import type { JobSummary } from '../ports/job-events.js';
import { lineagePlaces } from './lineage-places.js';
import { lineageEnd, lineageStart, OPENLINEAGE_PRODUCER, OPENLINEAGE_SCHEMA_URL } from './openlineage-event.js';

const config = configSchema.parse({
  store: { url: 's3://', region: 'eu-west-1' },
  providers: { acme: { source: 'sftp://acme@sftp.acme.example:2222/outbox/', bucket: 'acme-landing/in' }, local: { source: 'file://drop', bucket: 'local-bucket' } },
});

const summary = (overrides: Partial<JobSummary>): JobSummary => ({
  jobId: '6f0c3a9e-1111-4222-8333-444455556666',
  provider: 'acme',
  status: 'partial',
  dryRun: false,
  total: 2,
  succeeded: 1,
  failed: 1,
  bytesIn: 1,
  bytesOut: 1,
  startedAt: '2026-12-01T06:00:00.000Z',
  finishedAt: '2026-12-01T06:00:05.000Z',
  durationMs: 5000,
  files: [
    { path: 'a.tar.gz', size: 1, status: 'done', sha256: 'x', outputs: [{ key: 'data/csv/acme/a.csv', size: 1, sha256: 'y' }, { key: 'data/pdf/acme/a.pdf', size: 1, sha256: 'z' }], durationMs: 1 },
    { path: 'b.csv', size: 1, status: 'failed', kind: 'unpack', reason: 'b.csv: bad', durationMs: 1 },
  ],
  ...overrides,
});

describe('OpenLineage run events', () => {
  it('should name the SFTP drop and the S3 bucket as OpenLineage datasets, the landed files only', () => {
    const places = lineagePlaces(config, 'acme')!;
    expect(places).toEqual({ source: { namespace: 'sftp://sftp.acme.example:2222', root: '/outbox' }, store: { namespace: 's3://acme-landing', prefix: 'in' } });
    expect(lineageEnd('octo', summary({}), places)).toEqual({
      eventType: 'COMPLETE',
      eventTime: '2026-12-01T06:00:05.000Z',
      producer: OPENLINEAGE_PRODUCER,
      schemaURL: OPENLINEAGE_SCHEMA_URL,
      run: { runId: '6f0c3a9e-1111-4222-8333-444455556666' },
      job: { namespace: 'octo', name: 'acme' },
      inputs: [{ namespace: 'sftp://sftp.acme.example:2222', name: '/outbox/a.tar.gz' }],
      outputs: [
        { namespace: 's3://acme-landing', name: 'in/data/csv/acme/a.csv' },
        { namespace: 's3://acme-landing', name: 'in/data/pdf/acme/a.pdf' },
      ],
    });
  });

  it('should send FAIL with the job error as an errorMessage facet, and ABORT for a cancel', () => {
    const places = lineagePlaces(config, 'acme')!;
    const failed = lineageEnd('octo', summary({ status: 'failed', files: [], error: { kind: 'auth', reason: 'the server refused the key' } }), places);
    expect(failed.eventType).toBe('FAIL');
    expect(failed.run.facets?.['errorMessage']).toMatchObject({ message: 'the server refused the key', programmingLanguage: 'TypeScript', _producer: OPENLINEAGE_PRODUCER });
    expect(lineageEnd('octo', summary({ status: 'cancelled' }), places).eventType).toBe('ABORT');
    expect(lineageStart('octo', 'acme', 'id-1', '2026-12-01T06:00:00.000Z')).toMatchObject({ eventType: 'START', inputs: [], outputs: [], run: { runId: 'id-1' } });
  });

  it('should name a local drop and a local bucket folder in the file namespace', () => {
    expect(lineagePlaces(config, 'local')).toEqual({ source: { namespace: 'file', root: 'drop' }, store: { namespace: 's3://local-bucket', prefix: '' } });
    const local = configSchema.parse({ store: 'file://.octo/buckets', providers: { local: { source: 'file://drop', bucket: 'local-bucket' } } });
    expect(lineagePlaces(local, 'local')?.store).toEqual({ namespace: 'file', prefix: '.octo/buckets/local-bucket' });
  });
});
