import { OctoError } from '@octo/core';
import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** What a bundle's manifest says it holds. */
export interface PayrollManifest {
  /** `<YYYY>-W<ww>` when the manifest states it. */
  readonly period?: string;
  /** Entry names, relative to the bundle's root, in manifest order, each once. */
  readonly files: readonly string[];
  /** Lowercase hex sha256 of the files whose `<payslip>` states one (`sha256="..."`). */
  readonly sha256: ReadonlyMap<string, string>;
}

const SHA256 = /^[0-9a-f]{64}$/i;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  // Payslip elements are a list even when there is one.
  isArray: (name) => name === 'payslip',
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: true,
});

/**
 * Parses a Globex payroll manifest:
 *
 * ```xml
 * <manifest period="2026-W05">
 *   <payslip employee="E1001" file="payslips/E1001.pdf" sha256="(optional, 64 hex digits)"/>
 * </manifest>
 * ```
 *
 * Throws an OctoError of kind `filter` naming `label` when it is not that shape.
 */
export function parsePayrollManifest(xml: Buffer | string, label: string): PayrollManifest {
  const text = typeof xml === 'string' ? xml : xml.toString('utf8');
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    throw new OctoError('filter', `${label} is not well-formed XML (line ${valid.err.line}: ${valid.err.msg}); nothing from the bundle was landed`);
  }
  const doc = parser.parse(text) as { manifest?: unknown };
  const root = doc.manifest;
  if (root === undefined || typeof root !== 'object' || root === null) {
    throw new OctoError('filter', `${label} has no <manifest> root element; nothing from the bundle was landed`);
  }
  const { period, payslip } = root as { period?: unknown; payslip?: unknown[] };
  const files: string[] = [];
  const sha256 = new Map<string, string>();
  for (const [index, item] of (payslip ?? []).entries()) {
    const { file, sha256: digest } = typeof item === 'object' && item !== null ? (item as { file?: unknown; sha256?: unknown }) : {};
    if (typeof file !== 'string' || file.trim() === '') {
      throw new OctoError('filter', `${label}: <payslip> number ${index + 1} has no file="..." attribute; nothing from the bundle was landed`);
    }
    if (files.includes(file)) {
      throw new OctoError('filter', `${label} lists ${file} twice; nothing from the bundle was landed`);
    }
    if (digest !== undefined) {
      if (typeof digest !== 'string' || !SHA256.test(digest)) {
        throw new OctoError('filter', `${label}: the sha256 of ${file} is not 64 hex digits; nothing from the bundle was landed`);
      }
      sha256.set(file, digest.toLowerCase());
    }
    files.push(file);
  }
  if (files.length === 0) {
    throw new OctoError('filter', `${label} lists no <payslip file="..."/>; nothing from the bundle was landed`);
  }
  return { ...(typeof period === 'string' ? { period } : {}), files, sha256 };
}
