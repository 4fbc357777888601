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
