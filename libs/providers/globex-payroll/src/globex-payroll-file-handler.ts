import { inject, injectable, TYPES, type FileContext, type FileHandler, type Logger, type RemoteFile } from '@octo/core';
import { globexPayrollSettings, type GlobexPayrollSettings } from './globex-payroll-settings.js';
import { parsePayrollBundleName } from './payroll-bundle-name.js';
import { PayrollBundleHandling } from './payroll-bundle-handling.js';

/**
 * Globex payroll's file rule: among the files the configured globs take, only
 * `payroll_<YYYY>W<ww>.tar.gz.pgp` bundles; inside each, only the files its manifest lists
 * land (see {@link PayrollBundleHandling}, one per bundle).
 */
@injectable()
export class GlobexPayrollFileHandler implements FileHandler {
  constructor(
    @inject(globexPayrollSettings.token) private readonly settings: GlobexPayrollSettings,
    @inject(TYPES.Logger) private readonly logger: Logger,
  ) {}

  accepts(file: RemoteFile): boolean {
    return parsePayrollBundleName(file.path) !== undefined;
  }

  begin(context: FileContext): PayrollBundleHandling {
    return new PayrollBundleHandling(this.settings, this.logger, context);
  }
}
