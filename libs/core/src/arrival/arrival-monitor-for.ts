import type { OctoConfig } from '../config/config-schema.js';
import type { JobNotifier } from '../notify/job-notifier.js';
import { TYPES } from '../ports/identifiers.js';
import type { Logger } from '../ports/logger.js';
import type { ProviderFactory } from '../providers/provider-factory.js';
import type { SchedulerClock } from '../jobs/scheduler.js';
import { ArrivalMonitor } from './arrival-monitor.js';
import type { ArrivalExpectation } from './expectation-config-schema.js';

/** The arrival monitor of a config's providers with `expect:`, reading each one's ledger and bucket through its container. */
export function arrivalMonitorFor(config: OctoConfig, providers: ProviderFactory, notifier: JobNotifier, logger: Logger, clock?: SchedulerClock): ArrivalMonitor {
  const expectations = new Map<string, ArrivalExpectation>();
  for (const [name, provider] of Object.entries(config.providers)) if (provider.expect) expectations.set(name, provider.expect);
  return new ArrivalMonitor(expectations, {
    notifier,
    logger,
    ...(clock ? { clock } : {}),
    open: async (provider) => {
      const { container } = await providers.create(provider);
      return { ledger: container.get(TYPES.Ledger), store: container.get(TYPES.ObjectStore) };
    },
  });
}
