import type { FileResult } from '../ports/job-events.js';
import type { RemoteFile } from '../ports/remote-source.js';

/** What a file job carries: the sync it belongs to and the file as the sync's discovery listed it. */
export interface FileJobData {
  readonly provider: string;
  /** The sync (parent job) whose discovery queued the file: its outputs are staged under this run. */
  readonly jobId: string;
  readonly file: RemoteFile;
}

/** A file job's return value: the file's result, and whether its error stops the whole sync (bad credentials, a key that cannot load). */
export type FileJobResult = FileResult & { readonly fatal?: boolean };
