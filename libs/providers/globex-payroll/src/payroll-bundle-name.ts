/** What a Globex payroll bundle's file name says. */
export interface PayrollBundleName {
  readonly year: string;
  /** Two digits, an ISO week that exists in that year (`01` to `52`, or `53`). */
  readonly week: string;
}

const BUNDLE = /^payroll_(\d{4})W(\d{2})\.tar\.gz\.pgp$/;

/**
 * Parses a weekly bundle name, `payroll_<YYYY>W<ww>.tar.gz.pgp` (the last segment of a path);
 * undefined for any other name, including a week the year does not have.
 */
export function parsePayrollBundleName(pathOrName: string): PayrollBundleName | undefined {
  const name = pathOrName.slice(pathOrName.lastIndexOf('/') + 1);
  const match = BUNDLE.exec(name);
  if (!match) return undefined;
  const [, year, week] = match as unknown as [string, string, string];
  const number = Number(week);
  if (number < 1 || number > isoWeeksIn(Number(year))) return undefined;
  return { year, week };
}

/** 52 or 53: a year has 53 ISO weeks when 28 December falls in week 53. */
export function isoWeeksIn(year: number): number {
  // 28 December is always in the last ISO week; its week number is the count.
  const date = new Date(Date.UTC(year, 11, 28));
  const thursday = new Date(date);
  thursday.setUTCDate(date.getUTCDate() + 3 - ((date.getUTCDay() + 6) % 7));
  const firstThursday = new Date(Date.UTC(thursday.getUTCFullYear(), 0, 4));
  firstThursday.setUTCDate(firstThursday.getUTCDate() + 3 - ((firstThursday.getUTCDay() + 6) % 7));
  return 1 + Math.round((thursday.getTime() - firstThursday.getTime()) / (7 * 86_400_000));
}
