import { applyChangesToString, ChangeType, type StringChange } from '@nx/devkit';
import * as ts from 'typescript';
import type { ProviderNames } from './provider-names';

/** Where the registry lives; the apps load every provider listed there. */
export const REGISTRY_INDEX = 'libs/registry/src/index.ts';

/**
 * The registry source with the provider's import and list entry added, each in sorted place
 * among its kind, found in the TypeScript syntax tree (not by lines): imports and the
 * `installedProviders` array may be formatted any way, comments stay where they are, and a
 * commented-out import is not mistaken for one. Refuses a provider the registry already names.
 */
export function addToRegistrySource(source: string, n: Pick<ProviderNames, 'name' | 'packageName' | 'exportName'>): string {
  const file = ts.createSourceFile(REGISTRY_INDEX, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const imports = file.statements.filter(ts.isImportDeclaration);
  const providerImports = imports.flatMap((declaration) => {
    const from = ts.isStringLiteral(declaration.moduleSpecifier) ? declaration.moduleSpecifier.text : '';
    if (!from.startsWith('@octo/provider-')) return [];
    const bindings = declaration.importClause?.namedBindings;
    const names = bindings && ts.isNamedImports(bindings) ? bindings.elements.map((element) => element.name.text) : [];
    return [{ declaration, from, names }];
  });
  const taken = providerImports.find((entry) => entry.from === n.packageName || entry.names.includes(n.exportName));
  if (taken) {
    throw new Error(`provider name "${n.name}" is already taken: ${REGISTRY_INDEX} already imports ${taken.names.join(', ') || 'from'} from ${taken.from}`);
  }
  const list = installedProvidersArray(file);
  if (!list) {
    throw new Error(`${REGISTRY_INDEX} has no "export const installedProviders = [ ... ]" array literal: restore it, then run the generator again`);
  }
  const entries = list.elements.filter(ts.isIdentifier);
  if (entries.some((entry) => entry.text === n.exportName)) {
    throw new Error(`provider name "${n.name}" is already taken: ${REGISTRY_INDEX} already lists ${n.exportName}`);
  }
  return applyChangesToString(source, [listEntryChange(source, file, list, entries, n.exportName), importChange(file, providerImports, imports, n)]);
}

/** The `installedProviders` array literal (through any `as`/`satisfies`), or undefined. */
function installedProvidersArray(file: ts.SourceFile): ts.ArrayLiteralExpression | undefined {
  for (const statement of file.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const declaration of statement.declarationList.declarations) {
      if (!ts.isIdentifier(declaration.name) || declaration.name.text !== 'installedProviders') continue;
      let value = declaration.initializer;
      while (value && (ts.isAsExpression(value) || ts.isSatisfiesExpression(value) || ts.isParenthesizedExpression(value))) value = value.expression;
      return value && ts.isArrayLiteralExpression(value) ? value : undefined;
    }
  }
  return undefined;
}

/** The entry, before the first one that sorts after it, or after the last; one per line when the list is. */
function listEntryChange(source: string, file: ts.SourceFile, list: ts.ArrayLiteralExpression, entries: readonly ts.Identifier[], exportName: string): StringChange {
  const elements = list.elements;
  if (elements.length === 0) {
    // `[]` or `[\n]`: the entry on its own line, as the registry is written.
    const closing = list.getEnd() - 1;
    return { type: ChangeType.Insert, index: closing, text: `${source.slice(list.getStart(file) + 1, closing).includes('\n') ? '' : '\n'}  ${exportName},\n` };
  }
  const first = elements[0] as ts.Expression;
  const multiline = source.slice(list.getStart(file), first.getStart(file)).includes('\n');
  const indent = multiline ? lineIndent(source, first.getStart(file)) : '';
  const next = entries.find((entry) => entry.text.localeCompare(exportName) > 0);
  if (next) return { type: ChangeType.Insert, index: next.getStart(file), text: `${exportName},${multiline ? `\n${indent}` : ' '}` };
  const last = elements[elements.length - 1] as ts.Expression;
  if (elements.hasTrailingComma) {
    const comma = source.indexOf(',', last.getEnd()) + 1;
    return { type: ChangeType.Insert, index: comma, text: multiline ? `\n${indent}${exportName},` : ` ${exportName},` };
  }
  // After the comments that trail the last entry, so they stay with it.
  const end = ts.getTrailingCommentRanges(source, last.getEnd())?.at(-1)?.end ?? last.getEnd();
  return { type: ChangeType.Insert, index: end, text: multiline ? `,\n${indent}${exportName}` : `, ${exportName}` };
}

/** The import, before the first provider import that sorts after it, else after the last provider import (or the last import). */
function importChange(
  file: ts.SourceFile,
  providerImports: ReadonlyArray<{ declaration: ts.ImportDeclaration; from: string }>,
  imports: readonly ts.ImportDeclaration[],
  n: Pick<ProviderNames, 'packageName' | 'exportName'>,
): StringChange {
  const statement = `import { ${n.exportName} } from '${n.packageName}';`;
  const next = providerImports.find((entry) => entry.from.localeCompare(n.packageName) > 0);
  if (next) return { type: ChangeType.Insert, index: next.declaration.getStart(file), text: `${statement}\n` };
  const after = providerImports.at(-1)?.declaration ?? imports.at(-1);
  if (after) return { type: ChangeType.Insert, index: after.getEnd(), text: `\n${statement}` };
  return { type: ChangeType.Insert, index: 0, text: `${statement}\n` };
}

/** The whitespace a line starts with, for the line holding `index`. */
function lineIndent(source: string, index: number): string {
  const start = source.lastIndexOf('\n', index - 1) + 1;
  return /^[ \t]*/.exec(source.slice(start))?.[0] ?? '';
}
