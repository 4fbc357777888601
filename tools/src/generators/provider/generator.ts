import * as path from 'node:path';
import {
  generateFiles,
  getProjects,
  installPackagesTask,
  joinPathFragments,
  readProjectConfiguration,
  updateJson,
  updateProjectConfiguration,
  type GeneratorCallback,
  type Tree,
} from '@nx/devkit';
import { libraryGenerator } from '@nx/js';
import { providerNames, type ProviderNames } from './provider-names';
import { addToRegistrySource, REGISTRY_INDEX } from './registry-source';
import type { ProviderGeneratorSchema } from './schema';

/** Where the registry's package lives; the apps load every provider listed in its index. */
const REGISTRY_PACKAGE = 'libs/registry/package.json';

export { addToRegistrySource } from './registry-source';
export { providerNames, type ProviderNames } from './provider-names';

/**
 * `nx g @octo/tools:provider NAME`: creates libs/providers/NAME (@octo/provider-NAME, tagged
 * `type:provider`) with its plugin, a folder rule and a file handler in their own files, a spec
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

/** A single-quoted TypeScript string literal. */
function singleQuoted(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
