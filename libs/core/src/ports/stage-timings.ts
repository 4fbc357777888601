/** The stages a file's time and bytes are reported by, in pipeline order. */
export const PIPELINE_STAGES = ['read', 'decrypt', 'unpack', 'transform', 'store', 'commit'] as const;

export type PipelineStage = (typeof PIPELINE_STAGES)[number];

/** One stage of one file: how long it was active and how many bytes came out of it. */
export interface StageTiming {
  /**
   * Milliseconds from the stage's start to its last byte out (to its end, for `store` and
   * `commit`). Stages stream together, so their times overlap; where one ends well after the
   * stage before it, the file waited on it.
   */
  readonly ms: number;
  /** Bytes out of the stage: read from the source, decrypted, unpacked, after transform, staged, made visible. */
  readonly bytes: number;
}

/** A file's stages that ran (a plain file has no `decrypt` or `transform`, a failed one stops where it failed). */
export type StageTimings = { readonly [S in PipelineStage]?: StageTiming };

/** The stage times and bytes of `files` added up per stage: a job's totals (stages overlap, so they add to more than its duration). */
export function stageTotals(files: ReadonlyArray<{ readonly stages?: StageTimings }>): StageTimings {
  const totals: { [S in PipelineStage]?: { ms: number; bytes: number } } = {};
  for (const file of files) {
    for (const stage of PIPELINE_STAGES) {
      const timing = file.stages?.[stage];
      if (!timing) continue;
      const total = (totals[stage] ??= { ms: 0, bytes: 0 });
      total.ms += timing.ms;
      total.bytes += timing.bytes;
    }
  }
  // Rounded once at the end, so the order the files are added in does not show.
  for (const total of Object.values(totals)) total.ms = Math.round(total.ms * 10) / 10;
  return totals;
}
