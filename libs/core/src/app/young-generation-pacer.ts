import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** How often the pacer looks at the process's external memory. */
export const PACER_INTERVAL_MS = 20;

/**
 * How much external memory may grow before the pacer collects the young generation: well under
 * the 64 MiB by which V8 lets it grow before it starts a full mark-compact.
 */
export const PACER_THRESHOLD_BYTES = 8 * 1024 * 1024;

/** What the pacer reads and does, given so a spec can drive it without V8. */
export interface PacerProbe {
  /**
   * Bytes V8 counts as external now, the ArrayBuffers of Node's Buffers included (V8's
   * `external_memory`, what its own limit looks at; read without a system call).
   */
  externalBytes(): number;
  /** Runs one young-generation collection (a scavenge). */
  collectYoung(): void;
}

/**
 * Collects the young generation whenever external memory (mostly the ArrayBuffers of Buffers)
 * grew by {@link PACER_THRESHOLD_BYTES} since the last look that collected.
 *
 * A streaming job's bytes are Buffers that die within a few stages, but V8 frees a Buffer's
 * memory only when a collection finds it dead. It starts a full mark-compact of the whole heap
 * each time external memory grew 64 MiB, and it collects the young generation only when that
 * fills, which a job that allocates little on the heap rarely does. Moving 1 GiB through
 * gunzip therefore cost ~38 mark-compacts, each marking every loaded module. A scavenge frees
 * the same dead Buffers at a fraction of the cost, so the external limit is never reached: on A
 * into the local store, 38 -> 8 mark-compacts and ~15% less CPU at the same peak RSS
 * (docs/performance.md). Idle, external memory does not grow and the pacer collects nothing.
 */
export class YoungGenerationPacer {
  private baseline: number;

  constructor(
    private readonly probe: PacerProbe,
    private readonly thresholdBytes = PACER_THRESHOLD_BYTES,
  ) {
    this.baseline = probe.externalBytes();
  }

  /** One look: collects if the bytes grew past the threshold; returns whether it did. */
  tick(): boolean {
    const now = this.probe.externalBytes();
    if (now - this.baseline < this.thresholdBytes) {
      // Freed by a collection V8 ran on its own: measure growth from the lower mark.
      if (now < this.baseline) this.baseline = now;
      return false;
    }
    this.probe.collectYoung();
    this.baseline = this.probe.externalBytes();
    return true;
  }
}

let started = false;

/**
 * Starts the process's pacer, once (later calls do nothing). Its timer never keeps the process
 * alive. V8's `gc` is taken from a fresh context, so it never appears on `globalThis` and
 * plugins do not see it.
 */
export function startYoungGenerationPacer(): void {
  if (started) return;
  started = true;
  const pacer = new YoungGenerationPacer({ externalBytes: () => getHeapStatistics().external_memory, collectYoung: youngCollector() });
  setInterval(() => pacer.tick(), PACER_INTERVAL_MS).unref();
}

/** V8's `gc({ type: 'minor' })`, without exposing `gc` to this process's contexts. */
function youngCollector(): () => void {
  // Started with --expose-gc (as some specs are): the flag is the process's own, left on.
  const exposed = typeof (globalThis as { gc?: unknown }).gc === 'function';
  if (!exposed) setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (options: { type: 'minor' | 'major' }) => void;
  if (!exposed) setFlagsFromString('--no-expose-gc');
  return () => gc({ type: 'minor' });
}
