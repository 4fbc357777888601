import { hostname } from 'node:os';
import { processAlive } from '../util/process-alive.js';
import type { ObjectStore } from '../ports/object-store.js';

/** Where runs register in a bucket: `_octo/runs/<provider>/<runId>.json`, renewed through `<runId>.beat`. */
export const RUNS_PREFIX = '_octo/runs/';

/** A live run renews its heartbeat this often. */
const RUN_BEAT_MS = 30_000;
/** A run whose heartbeat is older than this is dead, whatever machine it ran on. */
const RUN_LEASE_MS = 10 * RUN_BEAT_MS;

/** One run as the registry shows it, with times by the store's clock. */
export interface RegisteredRun {
  readonly provider: string;
  readonly runId: string;
  readonly host?: string;
  readonly pid?: number;
  /** When the run registered (the store's time of its first write). */
  readonly startedAt: Date;
  /** Its latest heartbeat (its registration when it has none yet). */
  readonly beatAt: Date;
}

/**
 * The runs working in a bucket right now. A run registers before it stages anything and
 * deregisters when it ends; a registered run that is dead (see {@link runIsDead}) is one
 * whose staged state a later run of the provider may finish, roll back or remove.
 */
export class RunRegistry {
  private timer: NodeJS.Timeout | undefined;
  private ended = false;

  constructor(private readonly store: ObjectStore) {}

  /** Registers the run and renews its heartbeat until {@link end}. */
  async start(provider: string, runId: string): Promise<void> {
    await this.store.putSmall(this.keyOf(provider, runId, 'json'), JSON.stringify({ provider, runId, host: hostname(), pid: process.pid }), {
      'content-type': 'application/json',
    });
    // A start that was given up on (a cancel) and answered late must not beat for a run that ended.
    if (this.ended) return;
    this.timer = setInterval(() => void this.store.putSmall(this.keyOf(provider, runId, 'beat'), new Date().toISOString()).catch(() => undefined), RUN_BEAT_MS);
    this.timer.unref();
  }

  async end(provider: string, runId: string): Promise<void> {
    this.ended = true;
    clearInterval(this.timer);
    await this.forget(provider, runId);
  }

  async forget(provider: string, runId: string): Promise<void> {
    await this.store.delete(this.keyOf(provider, runId, 'beat'));
    await this.store.delete(this.keyOf(provider, runId, 'json'));
  }

  /** Every registered run in the bucket, of every provider. */
  async list(): Promise<RegisteredRun[]> {
    const runs = new Map<string, { provider: string; runId: string; startedAt?: Date; beatAt?: Date }>();
    for await (const object of this.store.list(RUNS_PREFIX)) {
      const match = /^_octo\/runs\/([^/]+)\/([A-Za-z0-9-]+)\.(json|beat)$/.exec(object.key);
      if (!match) continue;
      const [, provider, runId, kind] = match as unknown as [string, string, string, string];
      const entry = runs.get(`${provider}/${runId}`) ?? { provider, runId };
      if (kind === 'json') entry.startedAt = object.lastModified ?? new Date(0);
      else entry.beatAt = object.lastModified ?? new Date(0);
      runs.set(`${provider}/${runId}`, entry);
    }
    const found: RegisteredRun[] = [];
    for (const entry of runs.values()) {
      if (!entry.startedAt) continue; // a heartbeat outliving its registration: the run has ended
      const owner = await this.owner(entry.provider, entry.runId);
      found.push({ ...entry, ...owner, startedAt: entry.startedAt, beatAt: entry.beatAt ?? entry.startedAt });
    }
    return found;
  }

  private async owner(provider: string, runId: string): Promise<{ host?: string; pid?: number }> {
    const body = await this.store.get(this.keyOf(provider, runId, 'json')).catch(() => undefined);
    if (!body) return {};
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(chunk as Buffer);
      const value = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { host?: unknown; pid?: unknown };
      return { host: typeof value.host === 'string' ? value.host : undefined, pid: typeof value.pid === 'number' ? value.pid : undefined };
    } catch {
      return {};
    }
  }

  private keyOf(provider: string, runId: string, kind: 'json' | 'beat'): string {
    return `${RUNS_PREFIX}${provider}/${runId}.${kind}`;
  }
}

/** Dead: on this host with its pid gone, or silent for longer than the lease (`now` by the store's clock as seen from here). */
export function runIsDead(run: RegisteredRun, now = Date.now()): boolean {
  if (run.host === hostname() && run.pid !== undefined && !processAlive(run.pid)) return true;
  return now - run.beatAt.getTime() > RUN_LEASE_MS;
}
