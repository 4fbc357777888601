/** A date written in a file name: `20261101` or `2026-11-01`, between non-digits, in 2000-2099. */
const DATE = /(?<!\d)(20\d{2})(-?)(0[1-9]|1[0-2])\2(0[1-9]|[12]\d|3[01])(?!\d)/g;

/**
 * The first date in a file name that is a day of the calendar, as `YYYY-MM-DD`
 * (`statements_20261101.csv.gpg` -> `2026-11-01`); undefined when there is none. A date that
 * does not exist (`20260229`, `20261131`) is not a date: the next one in the name is tried.
 */
export function firstDateIn(name: string): string | undefined {
  for (const match of name.matchAll(DATE)) {
    const [, year, , month, day] = match as unknown as [string, string, string, string, string];
    const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
    // Date.UTC rolls 2026-02-30 over to March: a round trip catches days that do not exist.
    if (date.getUTCMonth() === Number(month) - 1 && date.getUTCDate() === Number(day)) return `${year}-${month}-${day}`;
  }
  return undefined;
}
