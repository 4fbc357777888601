import { describe, expect, it } from 'vitest';
import { OctoMetrics } from './octo-metrics.js';

describe(OctoMetrics, () => {
  it('should name every metric the Prometheus way and keep the standard process metric names', async () => {
    const metrics = new OctoMetrics(['acme']);
    const { body } = await metrics.render();
    const names = [...new Set([...body.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1] ?? ''))];
    expect(names.filter((name) => name.startsWith('octo_')).sort()).toEqual([
      'octo_file_duration_seconds',
      'octo_file_failures_total',
      'octo_file_size_bytes',
      'octo_files_ingested_total',
      'octo_ingested_source_bytes_total',
      'octo_jobs_running',
      'octo_jobs_total',
      'octo_landed_output_bytes_total',
      'octo_last_successful_sync_timestamp_seconds',
      'octo_polls_found_nothing_total',
      'octo_retired_key_decryptions_total',
      'octo_stage_seconds_total',
      'octo_webhook_deliveries_total',
    ]);
    expect(names).toEqual(expect.arrayContaining(['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes']));
  });

  it('should set the last successful sync time when a job succeeds, and leave it when one fails', async () => {
    const metrics = new OctoMetrics(['acme'], { processMetrics: false });
    metrics.jobEnded('acme', 'succeeded', new Date('2026-11-01T10:00:00.000Z'));
    metrics.jobEnded('acme', 'failed', new Date('2026-11-01T11:00:00.000Z'));
    const { body } = await metrics.render();
    expect(body).toContain('octo_last_successful_sync_timestamp_seconds{provider="acme"} 1793527200');
  });

  it('should count webhook deliveries from the notifier at each scrape, each once', async () => {
    const metrics = new OctoMetrics(['acme'], { processMetrics: false });
    const counts = { delivered: 0, failed: 0 };
    metrics.countWebhooks(() => counts);
    expect((await metrics.render()).body).toContain('octo_webhook_deliveries_total{result="failed"} 0');
    counts.delivered = 3;
    counts.failed = 1;
    await metrics.render();
    const { body } = await metrics.render();
    expect(body).toContain('octo_webhook_deliveries_total{result="delivered"} 3');
    expect(body).toContain('octo_webhook_deliveries_total{result="failed"} 1');
  });

  it('should observe each file in the size and duration histograms and add its stage times, per provider', async () => {
    const metrics = new OctoMetrics(['acme', 'globex'], { processMetrics: false });
    metrics.fileDone('acme', 3000, 9000, 1500, { read: { ms: 1200, bytes: 3000 }, decrypt: { ms: 1100, bytes: 2900 }, store: { ms: 300, bytes: 9000 } });
    metrics.fileDone('acme', 70_000, 70_000, 250, { read: { ms: 200, bytes: 70_000 } });
    metrics.fileFailed('acme', 'validate', 40, 500, { read: { ms: 30, bytes: 500 }, transform: { ms: 25, bytes: 100 } });
    const { body } = await metrics.render();
    expect(body).toContain('octo_file_size_bytes_bucket{le="4096",provider="acme",outcome="done"} 1');
    expect(body).toContain('octo_file_size_bytes_bucket{le="65536",provider="acme",outcome="done"} 1');
    expect(body).toContain('octo_file_size_bytes_bucket{le="262144",provider="acme",outcome="done"} 2');
    expect(body).toContain('octo_file_size_bytes_sum{provider="acme",outcome="done"} 73000');
    expect(body).toContain('octo_file_size_bytes_count{provider="acme",outcome="failed"} 1');
    expect(body).toContain('octo_file_duration_seconds_bucket{le="2.5",provider="acme",outcome="done"} 2');
    expect(body).toContain('octo_stage_seconds_total{provider="acme",stage="read"} 1.43');
    expect(body).toContain('octo_stage_seconds_total{provider="acme",stage="decrypt"} 1.1');
    expect(body).toContain('octo_stage_seconds_total{provider="acme",stage="transform"} 0.025');
    expect(body).toContain('octo_stage_seconds_total{provider="acme",stage="store"} 0.3');
    // A provider with no file yet shows every stage at zero.
    expect(body).toContain('octo_stage_seconds_total{provider="globex",stage="commit"} 0');
  });
});
