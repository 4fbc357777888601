import type { LoadedConfig } from '../config/load-config.js';
import type { JobNotifier } from '../notify/job-notifier.js';
import type { Logger } from '../ports/logger.js';
import type { SecretResolver } from '../secrets/secret-ref.js';
import { LineageEmitter } from './lineage-emitter.js';
import { lineagePlaces } from './lineage-places.js';

/** The lineage emitter of a config with `lineage:`, its deliveries waited for with the webhooks'; undefined without. */
export function lineageEmitterFor(loaded: LoadedConfig, secrets: SecretResolver, notifier: JobNotifier, logger: Logger): LineageEmitter | undefined {
  const config = loaded.config.lineage;
  if (!config) return undefined;
  return new LineageEmitter(config, (provider) => lineagePlaces(loaded.config, provider), secrets, logger, (work) => notifier.track(work));
}
