import { GlobFileFilter, inject, injectable, TYPES, type ProviderContext, type RemoteFile } from '@octo/core';

// Uploads still in progress: `*.part`, `*.tmp`, `*.filepart` and dot files.
const IN_PROGRESS = /(^|\/)(\.[^/]*|[^/]*\.(part|tmp|filepart))$/i;

/**
 * The globex-payroll file filter: the configured `include`/`exclude` globs, minus uploads still in
 * progress. Edit `accepts` (which remote files) or add `keepsEntry`/`finishFile` (which archive
 * entries) to the partner's rule.
 */
@injectable()
export class GlobexPayrollFileFilter extends GlobFileFilter {
  constructor(@inject(TYPES.ProviderContext) provider: ProviderContext) {
    super(provider);
  }

  override accepts(file: RemoteFile): boolean {
    return super.accepts(file) && !IN_PROGRESS.test(file.path);
  }
}
