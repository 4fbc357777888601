import { injectable, OctoError, type FileContext, type FolderNamer } from '@octo/core';
import { parsePayrollBundleName } from './payroll-bundle-name.js';

/**
 * Globex payroll's folder rule: `<YYYY>-W<ww>` from the bundle's name, so a payslip
 * `payslips/E1001.pdf` from `payroll_2026W05.tar.gz.pgp` lands at `data/pdf/2026-W05/payslips/E1001.pdf`.
 */
@injectable()
export class GlobexPayrollFolderNamer implements FolderNamer {
  folderFor(_entry: { name: string }, context: FileContext): string {
    const bundle = parsePayrollBundleName(context.file.path);
    if (!bundle) {
      // The filter takes only bundle names; reaching here means it was replaced.
      throw new OctoError('route', `${context.file.path} is not named payroll_<YYYY>W<ww>.tar.gz.pgp, so it has no week folder`);
    }
    return `${bundle.year}-W${bundle.week}`;
  }
}
