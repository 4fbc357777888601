import type { ArrivalMonitor } from '@octo/core';
import { Gauge, type Registry } from 'prom-client';

/**
 * `octo_provider_late{provider}`: 1 while a provider with `expect:` is late (nothing new by its
 * deadline), else 0; and `octo_provider_late_since_timestamp_seconds`, the missed deadline.
 * Read from the arrival monitor at each scrape (judged at each deadline, after each run, and
 * when the API is asked).
 */
export function registerArrivalMetrics(registry: Registry, arrivals: Pick<ArrivalMonitor, 'known'>): void {
  const since = new Gauge({
    name: 'octo_provider_late_since_timestamp_seconds',
    help: 'When the missed arrival deadline of a late provider was, in Unix seconds (absent when on time)',
    labelNames: ['provider'],
    registers: [registry],
    collect: () => {
      since.reset();
      for (const [provider, status] of arrivals.known()) if (status.late && status.since) since.set({ provider }, Date.parse(status.since) / 1000);
    },
  });
  const late = new Gauge({
    name: 'octo_provider_late',
    help: 'Whether a provider with an arrival expectation is late: 1 when nothing new was ingested by its deadline, 0 when on time',
    labelNames: ['provider'],
    registers: [registry],
    collect: () => {
      for (const [provider, status] of arrivals.known()) late.set({ provider }, status.late ? 1 : 0);
    },
  });
}
