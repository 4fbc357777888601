import type { Duplex } from 'node:stream';
import picomatch from 'picomatch';
import type { FileContext } from '../ports/file-context.js';
import type { UnpackedEntry } from '../ports/unpacker.js';
import { CharsetToUtf8 } from './charset-to-utf8.js';
import { CsvCheck } from './csv-check.js';
import type { TransformConfig, ValidateConfig } from './entry-stage-config.js';
import { LineEndings } from './line-endings.js';
import { StripBom } from './strip-bom.js';
import { Utf8Check } from './utf8-check.js';

/**
 * The built-in stages a provider's config asks for: `transform:` rewrites, which run before the
 * plugin's own entry transform, and `validate:` checks, which run after it (so they see the
 * bytes that land). Each entry that a block's globs match gets fresh streams.
 */
export class ConfiguredEntryStages {
  private readonly transformed: (name: string) => boolean;
  private readonly validated: (name: string) => boolean;

  constructor(private readonly config: { readonly transform?: TransformConfig; readonly validate?: ValidateConfig }) {
    this.transformed = matcher(config.transform?.entries);
    this.validated = matcher(config.validate?.entries);
  }

  /** True when neither block is configured: entries pass untouched. */
  get empty(): boolean {
    return !this.config.transform && !this.config.validate;
  }

  /** The rewrites for `entry`, in order: charset, BOM, line endings. */
  before(entry: UnpackedEntry): Duplex[] {
    const transform = this.config.transform;
    if (!transform || !this.transformed(entry.name)) return [];
    return [
      ...(transform.charset && !/^utf-?8$/i.test(transform.charset) ? [new CharsetToUtf8(transform.charset)] : []),
      ...(transform.stripBom ? [new StripBom()] : []),
      ...(transform.lineEndings ? [new LineEndings(transform.lineEndings)] : []),
    ];
  }

  /** The checks for `entry`, in order: UTF-8, then CSV. */
  after(entry: UnpackedEntry, context: FileContext): Duplex[] {
    const validate = this.config.validate;
    if (!validate || !this.validated(entry.name)) return [];
    const csv = validate.csv;
    return [
      ...(validate.utf8 ? [new Utf8Check(context, entry.name)] : []),
      ...(csv ? [new CsvCheck(context, entry.name, { ...csv, trailer: csv.trailer === undefined ? undefined : new RegExp(csv.trailer) })] : []),
    ];
  }
}

function matcher(globs: readonly string[] | undefined): (name: string) => boolean {
  if (!globs) return () => false;
  return picomatch([...globs], { dot: true, nocase: true });
}
