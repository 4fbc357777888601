import path from 'node:path';

/** Suffixed names tried after the plain one is taken, before the action fails. */
export const MAX_SUFFIXED_NAMES = 5;

/** `20261201T060012Z`: a UTC time in a file name (no colons, which Windows servers refuse). */
export function nameTime(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/**
 * Where a file goes in the archive folder, in order of preference: `<to>/<path>` first, then, when
 * that name is taken (a resend archived before), the same name with `-<UTC time>` before its
 * extensions (`report.csv.gpg` -> `report-20261201T060012Z.csv.gpg`), then with `-2`, `-3`, ...
 */
export function archiveCandidates(to: string, file: string, at: Date, suffixed: boolean): string[] {
  const plain = path.posix.join(to, file);
  if (!suffixed) return [plain];
  const dir = path.posix.dirname(plain);
  const base = path.posix.basename(plain);
  // Extensions start at the first dot after the first character (a dot file keeps its leading dot).
  const dot = base.indexOf('.', 1);
  const [stem, extensions] = dot === -1 ? [base, ''] : [base.slice(0, dot), base.slice(dot)];
  const time = nameTime(at);
  const suffixedNames = Array.from({ length: MAX_SUFFIXED_NAMES }, (_, index) => path.posix.join(dir, `${stem}-${time}${index === 0 ? '' : `-${index + 1}`}${extensions}`));
  return [plain, ...suffixedNames];
}
