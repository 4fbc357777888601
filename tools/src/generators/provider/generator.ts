import * as path from 'node:path';
import {
  generateFiles,
  getProjects,
  installPackagesTask,
  joinPathFragments,
  names,
  readProjectConfiguration,
  updateJson,
  updateProjectConfiguration,
  type GeneratorCallback,
  type Tree,
} from '@nx/devkit';
import { libraryGenerator } from '@nx/js';
import type { ProviderGeneratorSchema } from './schema';

/** Provider ids: kebab-case, starting with a letter so `<camelName>Provider` is a valid identifier. */
const PROVIDER_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** Where the registry lives; the apps load every provider listed there. */
const REGISTRY_ROOT = 'libs/registry';
const REGISTRY_INDEX = `${REGISTRY_ROOT}/src/index.ts`;
const REGISTRY_PACKAGE = `${REGISTRY_ROOT}/package.json`;

/** The names one provider id turns into. */
export interface ProviderNames {
  /** `acme-bank` */
  readonly name: string;
  /** `libs/providers/acme-bank` */
  readonly directory: string;
  /** `provider-acme-bank` (the Nx project) */
  readonly projectName: string;
  /** `@octo/provider-acme-bank` */
  readonly packageName: string;
  /** `acmeBankProvider` (the plugin export) */
  readonly exportName: string;
  /** `AcmeBank` (class prefix of the rules) */
  readonly className: string;
  /** `ACME_BANK` (prefix of environment variables in the README's config block) */
  readonly constantName: string;
}

/** Validates a provider id and derives every name the generator writes; throws on a bad id. */
export function providerNames(name: string): ProviderNames {
  if (typeof name !== 'string' || !PROVIDER_NAME.test(name)) {
    throw new Error(
      `provider name "${String(name)}" is not kebab-case: use lowercase letters, digits and single hyphens, starting with a letter (e.g. acme-bank)`,
    );
  }
  const n = names(name);
  return {
    name,
    directory: `libs/providers/${name}`,
    projectName: `provider-${name}`,
    packageName: `@octo/provider-${name}`,
    exportName: `${n.propertyName}Provider`,
    className: n.className,
    constantName: n.constantName,
  };
}

/**
 * `nx g @octo/tools:provider NAME`: creates libs/providers/NAME (@octo/provider-NAME, tagged
 * `type:provider`) with its plugin, a folder rule and a file filter in their own files, a spec
 * and a README, then registers the plugin in @octo/registry (import, list entry, dependency).
 * Everything is checked before the first write, so a refused name leaves nothing behind.
 */
export async function providerGenerator(tree: Tree, options: ProviderGeneratorSchema): Promise<GeneratorCallback | undefined> {
  const n = providerNames(options.name);
  refuseTaken(tree, n);
  const registryIndex = addToRegistrySource(readRequired(tree, REGISTRY_INDEX), n);
  readRequired(tree, REGISTRY_PACKAGE);
  const description = (options.description ?? `${n.className} partner: edit this line in ${n.directory}/src/index.ts`).trim();
  if (!description || /[\r\n]/.test(description)) throw new Error('the description must be one non-empty line');

  // The Nx way: @nx/js makes the library and its project.json; then we shape it like the others.
  await libraryGenerator(tree, {
    directory: n.directory,
    name: n.projectName,
    importPath: n.packageName,
    tags: 'type:provider',
    bundler: 'none',
    linter: 'none',
    unitTestRunner: 'none',
    skipFormat: true,
    skipTsConfig: true,
    skipPackageJson: true,
    addPlugin: false,
    useProjectJson: true,
  });
  // Providers run from source with tsx and share one vitest setup: no per-library build config.
  for (const leftover of ['tsconfig.lib.json', 'tsconfig.spec.json', 'src/lib']) {
    const file = joinPathFragments(n.directory, leftover);
    if (tree.exists(file)) tree.delete(file);
  }
  generateFiles(tree, path.join(__dirname, 'files'), n.directory, {
    ...n,
    fileName: n.name,
    description,
    descriptionLiteral: singleQuoted(description),
    // A `*/` would end the TSDoc comment the description is quoted in.
    descriptionDoc: description.replace(/\*\//g, '*\\/'),
  });
  const project = readProjectConfiguration(tree, n.projectName);
  updateProjectConfiguration(tree, n.projectName, {
    ...project,
    $schema: '../../../node_modules/nx/schemas/project-schema.json',
    tags: ['type:provider'],
    // Empty targets take nx.json's targetDefaults (vitest run, eslint ., tsc --noEmit).
    targets: { test: {}, lint: {}, typecheck: {} },
  } as typeof project);

  tree.write(REGISTRY_INDEX, registryIndex);
  updateJson(tree, REGISTRY_PACKAGE, (pkg: { dependencies?: Record<string, string> }) => {
    // The registry's dependency is what tells npm to link the package and Nx that the apps depend on it.
    const dependencies = { ...(pkg.dependencies ?? {}), [n.packageName]: '*' };
    pkg.dependencies = Object.fromEntries(Object.entries(dependencies).sort(([a], [b]) => a.localeCompare(b)));
    return pkg;
  });

  if (options.skipInstall) return undefined;
  // npm links the new workspace package into node_modules so the registry can import it.
  return () => installPackagesTask(tree, true);
}

export default providerGenerator;

function refuseTaken(tree: Tree, n: ProviderNames): void {
  if (tree.exists(n.directory)) {
    throw new Error(`provider name "${n.name}" is already taken: ${n.directory} exists`);
  }
  const projects = getProjects(tree);
  if (projects.has(n.projectName)) {
    throw new Error(`provider name "${n.name}" is already taken: project ${n.projectName} exists at ${projects.get(n.projectName)?.root}`);
  }
}

function readRequired(tree: Tree, file: string): string {
  const text = tree.read(file, 'utf-8');
  if (text === null) throw new Error(`${file} is missing: the provider generator registers new providers there`);
  return text;
}

const PROVIDER_IMPORT = /^import \{ (\w+) \} from '(@octo\/provider-[a-z0-9-]+)';\s*$/;
const LIST_START = /installedProviders\b.*=\s*\[\s*$/;
const LIST_END = /^\];?\s*$/;
const LIST_ENTRY = /^\s+(\w+),\s*$/;

/**
 * The registry source with the provider's import and list entry added, each in sorted
 * place among its kind. Refuses a provider the registry already names.
 */
export function addToRegistrySource(source: string, n: Pick<ProviderNames, 'name' | 'packageName' | 'exportName'>): string {
  const lines = source.split('\n');
  const imports = lines.flatMap((line, index) => {
    const match = PROVIDER_IMPORT.exec(line);
    return match ? [{ index, exportName: match[1] ?? '', packageName: match[2] ?? '' }] : [];
  });
  const taken = imports.find((entry) => entry.packageName === n.packageName || entry.exportName === n.exportName);
  if (taken) {
    throw new Error(`provider name "${n.name}" is already taken: ${REGISTRY_INDEX} already imports ${taken.exportName} from ${taken.packageName}`);
  }
  const start = lines.findIndex((line) => LIST_START.test(line));
  const end = start < 0 ? -1 : lines.findIndex((line, index) => index > start && LIST_END.test(line));
  if (start < 0 || end < 0) {
    throw new Error(`${REGISTRY_INDEX} has no "installedProviders = [" ... "];" list with one entry per line: restore it, then run the generator again`);
  }
  const entries = lines.slice(start + 1, end).flatMap((line, offset) => {
    const match = LIST_ENTRY.exec(line);
    return match ? [{ index: start + 1 + offset, exportName: match[1] ?? '' }] : [];
  });
  if (entries.some((entry) => entry.exportName === n.exportName)) {
    throw new Error(`provider name "${n.name}" is already taken: ${REGISTRY_INDEX} already lists ${n.exportName}`);
  }

  // Insert the list entry first: it sits below the imports, so their indexes stay valid.
  const entryAt = entries.find((entry) => entry.exportName.localeCompare(n.exportName) > 0)?.index ?? (entries.at(-1)?.index ?? start) + 1;
  lines.splice(entryAt, 0, `  ${n.exportName},`);
  const importLine = `import { ${n.exportName} } from '${n.packageName}';`;
  // The end of the last import statement (a `from '...';` line), for a registry with no provider yet.
  const lastImport = lines.reduce((last, line, index) => (index < start && /(^import\s+'[^']+';|\bfrom\s+'[^']+';)\s*$/.test(line) ? index : last), -1);
  const importAt = imports.find((entry) => entry.packageName.localeCompare(n.packageName) > 0)?.index ?? (imports.at(-1)?.index ?? lastImport) + 1;
  lines.splice(importAt, 0, importLine);
  return lines.join('\n');
}

/** A single-quoted TypeScript string literal. */
function singleQuoted(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
