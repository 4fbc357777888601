import { injectable, type FileContext } from '@octo/core';

/** What was seen while one bundle was unpacked. */
export interface SeenBundle {
  /** Every entry name, in archive order. */
  readonly entries: string[];
  /** The manifest's bytes, once its entry was read to the end. */
  manifest?: Buffer;
}

/**
 * Hands what the unpacker saw in a bundle to the filter's end-of-file decision. One per
 * provider container; keyed by the file's context object, so files processed at the same
 * time never mix, and a failed file's record goes when its context does.
 */
@injectable()
export class BundleContents {
  private readonly seen = new WeakMap<FileContext, SeenBundle>();

  /** The record for a file, created on first use. */
  of(context: FileContext): SeenBundle {
    let bundle = this.seen.get(context);
    if (!bundle) {
      bundle = { entries: [] };
      this.seen.set(context, bundle);
    }
    return bundle;
  }

  /** The record for a file, removed: read once, when the file's entries are done. */
  take(context: FileContext): SeenBundle {
    const bundle = this.of(context);
    this.seen.delete(context);
    return bundle;
  }
}
