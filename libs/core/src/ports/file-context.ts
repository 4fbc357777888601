import type { UnpackBudget } from '../streams/byte-limit.js';
import type { RemoteFile } from './remote-source.js';

/** What every stage knows about the file it is working on. */
export interface FileContext {
  readonly provider: string;
  readonly jobId: string;
  readonly file: RemoteFile;
  /** Detached signature bytes, when the source paired one with the file. */
  readonly signature?: Buffer;
  readonly signal?: AbortSignal;
  /**
   * The file's decompression budget (limits.maxUnpackedBytes): every layer that decompresses
   * (OpenPGP's own compression, gzip, zip entries) charges its output here, once.
   */
  readonly budget?: UnpackBudget;
}
