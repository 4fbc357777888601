import { performance } from 'node:perf_hooks';
import { Transform, type TransformCallback } from 'node:stream';
import { PIPELINE_STAGES, type PipelineStage, type StageTimings } from '../ports/stage-timings.js';

interface Span {
  start: number;
  end: number;
  bytes: number;
}

/**
 * Times one file's stages (see {@link StageTimings}): a stage starts when the processor starts
 * it, and each chunk or call that comes out of it moves its end and adds its bytes. One
 * `performance.now()` per chunk boundary at most, so the cost stays far below the work timed.
 */
export class StageClock {
  private readonly spans = new Map<PipelineStage, Span>();

  /** Marks `stage` as started now (once; later calls keep the first start). */
  start(stage: PipelineStage): void {
    if (this.spans.has(stage)) return;
    const now = performance.now();
    this.spans.set(stage, { start: now, end: now, bytes: 0 });
  }

  /** `bytes` came out of `stage` now (starting it if it was not). */
  add(stage: PipelineStage, bytes: number): void {
    const span = this.spans.get(stage);
    if (!span) {
      const now = performance.now();
      this.spans.set(stage, { start: now, end: now, bytes });
      return;
    }
    span.end = performance.now();
    span.bytes += bytes;
  }

  /** A pass-through that counts what flows through it as `stage`'s output. */
  meter(stage: PipelineStage): Transform {
    this.start(stage);
    return new StageMeter((bytes) => this.add(stage, bytes));
  }

  /** Runs `work` as `stage` (start to settle), counting `bytes` of its result. */
  async time<T>(stage: PipelineStage, work: () => Promise<T>, bytes: (result: T) => number = () => 0): Promise<T> {
    this.start(stage);
    const result = await work();
    this.add(stage, bytes(result));
    return result;
  }

  /** The stages that ran, in pipeline order, in milliseconds to a tenth. */
  report(): StageTimings {
    const out: { [S in PipelineStage]?: { ms: number; bytes: number } } = {};
    for (const stage of PIPELINE_STAGES) {
      const span = this.spans.get(stage);
      if (span) out[stage] = { ms: Math.round((span.end - span.start) * 10) / 10, bytes: span.bytes };
    }
    return out;
  }
}

class StageMeter extends Transform {
  constructor(private readonly onChunk: (bytes: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.onChunk(chunk.length);
    callback(null, chunk);
  }
}
