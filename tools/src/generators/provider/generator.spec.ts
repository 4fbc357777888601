import { readJson, readProjectConfiguration, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { providerGenerator } from './generator';
import { providerNames } from './provider-names';
import { addToRegistrySource } from './registry-source';

// Import lines are built, not written out: Nx reads literal ones as this project's imports.
const importOf = (what: string, from: string) => `import ${what} from '${from}';`;
const CORE_IMPORT = importOf('type { ProviderPlugin }', ['@octo', 'core'].join('/'));

const REGISTRY_INDEX = [
  CORE_IMPORT,
  '// The provider generator adds one import and one list entry per provider (an edit of the syntax tree, so any formatting works).',
  importOf('{ exampleProvider }', '@octo/provider-example'),
  '',
  '/** Every provider plugin installed in this workspace, by name. */',
  'export const installedProviders: ReadonlyArray<ProviderPlugin<unknown>> = [',
  '  exampleProvider,',
  '];',
  '',
].join('\n');

/** A workspace shaped like Octo's: the registry and the example provider. */
function seedWorkspace(tree: Tree): void {
  tree.write('libs/registry/src/index.ts', REGISTRY_INDEX);
  tree.write(
    'libs/registry/package.json',
    JSON.stringify({ name: '@octo/registry', dependencies: { '@octo/core': '*', '@octo/provider-example': '*' } }, null, 2),
  );
  tree.write('libs/registry/project.json', JSON.stringify({ name: 'registry', root: 'libs/registry', tags: ['type:registry'] }));
  tree.write('libs/providers/example/project.json', JSON.stringify({ name: 'provider-example', root: 'libs/providers/example', tags: ['type:provider'] }));
  tree.write('libs/providers/example/package.json', JSON.stringify({ name: '@octo/provider-example' }));
}

/** Every file path in the tree with its content, to prove a refused run changed nothing. */
function snapshot(tree: Tree): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const child of tree.children(dir)) {
      const full = dir ? `${dir}/${child}` : child;
      if (tree.isFile(full)) files.set(full, tree.read(full, 'utf-8') ?? '');
      else walk(full);
    }
  };
  walk('');
  return files;
}

describe('provider generator', () => {
  let tree: Tree;

  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace();
    seedWorkspace(tree);
  });

  describe('when given a new kebab-case name', () => {
    beforeEach(async () => {
      await providerGenerator(tree, { name: 'acme-bank', description: "Acme Bank's daily statements", skipInstall: true });
    });

    it('should create the library with its plugin, rules in their own files, a spec and a README', () => {
      const dir = 'libs/providers/acme-bank';
      for (const file of [
        'package.json',
        'project.json',
        'tsconfig.json',
        'vitest.config.ts',
        'README.md',
        'src/index.ts',
        'src/acme-bank-folder-namer.ts',
        'src/acme-bank-file-handler.ts',
        'src/acme-bank-entry-transform.ts',
        'src/acme-bank-provider.spec.ts',
      ]) {
        expect(tree.exists(`${dir}/${file}`), file).toBe(true);
      }
      // The @nx/js library scaffold's build-only leftovers are removed.
      expect(tree.exists(`${dir}/tsconfig.lib.json`)).toBe(false);
      expect(tree.exists(`${dir}/src/lib`)).toBe(false);
      // No template left unrendered.
      const rendered = [...snapshot(tree).entries()].filter(([file]) => file.startsWith(dir));
      expect(rendered.length).toBe(10);
      for (const [file, content] of rendered) {
        expect(file).not.toMatch(/__|\.template$/);
        expect(content, file).not.toMatch(/<%|%>/);
      }
    });

    it('should tag the Nx project type:provider and give it the shared targets', () => {
      const project = readProjectConfiguration(tree, 'provider-acme-bank');
      expect(project.root).toBe('libs/providers/acme-bank');
      expect(project.tags).toEqual(['type:provider']);
      expect(Object.keys(project.targets ?? {}).sort()).toEqual(['lint', 'test', 'typecheck']);
    });

    it('should name the package @octo/provider-NAME, ESM from source, depending on core only', () => {
      const pkg = readJson(tree, 'libs/providers/acme-bank/package.json');
      expect(pkg).toMatchObject({
        name: '@octo/provider-acme-bank',
        type: 'module',
        description: "Acme Bank's daily statements",
        exports: { '.': './src/index.ts' },
        dependencies: { '@octo/core': '*' },
      });
      expect(Object.keys(pkg.dependencies)).toEqual(['@octo/core']);
    });

    it('should export one plugin, <camelName>Provider, that overrides the folder rule, file handler and entry transform', () => {
      const index = tree.read('libs/providers/acme-bank/src/index.ts', 'utf-8') ?? '';
      expect(index.match(/^export const \w+/gm)).toEqual(['export const acmeBankSettings', 'export const acmeBankProvider']);
      expect(index).toContain("name: 'acme-bank',");
      expect(index).toContain("description: 'Acme Bank\\'s daily statements',");
      expect(index).toContain("override('folderNamer', AcmeBankFolderNamer);");
      expect(index).toContain("override('fileHandler', AcmeBankFileHandler);");
      expect(index).toContain("override('entryTransform', AcmeBankEntryTransform);");
      expect(index).toContain("export const acmeBankSettings = providerSettings('acme-bank', z.object({}).strict());");
      expect(index).not.toMatch(/from '@octo\/provider-|from '\.\.\//);
      expect(tree.read('libs/providers/acme-bank/src/acme-bank-folder-namer.ts', 'utf-8')).toContain('export class AcmeBankFolderNamer implements FolderNamer');
      expect(tree.read('libs/providers/acme-bank/src/acme-bank-file-handler.ts', 'utf-8')).toContain('export class AcmeBankFileHandler implements FileHandler');
      expect(tree.read('libs/providers/acme-bank/src/acme-bank-entry-transform.ts', 'utf-8')).toContain('export class AcmeBankEntryTransform implements EntryTransform');
    });

    it('should write a README with the config block to paste', () => {
      const readme = tree.read('libs/providers/acme-bank/README.md', 'utf-8') ?? '';
      expect(readme).toContain('# @octo/provider-acme-bank');
      expect(readme).toMatch(/```yaml\n {2}acme-bank:\n {4}plugin: acme-bank\n {4}source: file:\/\/\.octo\/drop\/acme-bank/);
      expect(readme).toContain('bucket: acme-bank-bucket');
      expect(readme).toContain('key: env:ACME_BANK_PGP_PRIVATE_KEY');
      expect(readme).toContain('npx octo sync acme-bank');
    });

    it('should register the plugin in the registry: one import and one list entry, in sorted place', () => {
      expect(tree.read('libs/registry/src/index.ts', 'utf-8')).toBe(
        REGISTRY_INDEX.replace(
          "import { exampleProvider } from '@octo/provider-example';",
          "import { acmeBankProvider } from '@octo/provider-acme-bank';\nimport { exampleProvider } from '@octo/provider-example';",
        ).replace('  exampleProvider,', '  acmeBankProvider,\n  exampleProvider,'),
      );
    });

    it('should add the package to the registry dependencies, so npm links it and Nx knows the apps depend on it', () => {
      expect(readJson(tree, 'libs/registry/package.json').dependencies).toEqual({
        '@octo/core': '*',
        '@octo/provider-acme-bank': '*',
        '@octo/provider-example': '*',
      });
    });

    it('should append a later name after the existing ones', async () => {
      await providerGenerator(tree, { name: 'zeta', skipInstall: true });
      const index = tree.read('libs/registry/src/index.ts', 'utf-8') ?? '';
      expect(index.match(/^import \{ \w+ \} from '@octo\/provider-[\w-]+';$/gm)).toEqual([
        "import { acmeBankProvider } from '@octo/provider-acme-bank';",
        "import { exampleProvider } from '@octo/provider-example';",
        "import { zetaProvider } from '@octo/provider-zeta';",
      ]);
      expect(index).toContain('  acmeBankProvider,\n  exampleProvider,\n  zetaProvider,\n];');
    });
  });

  describe('when the description has quotes and a comment end', () => {
    it('should keep index.ts valid: escaped in the string, defused in the doc comment', async () => {
      await providerGenerator(tree, { name: 'initech', description: "Initech's */ TPS reports", skipInstall: true });
      const index = tree.read('libs/providers/initech/src/index.ts', 'utf-8') ?? '';
      expect(index).toContain("description: 'Initech\\'s */ TPS reports',");
      expect(index).toContain("/** The initech provider plugin: Initech's *\\/ TPS reports */");
      expect(readJson(tree, 'libs/providers/initech/package.json').description).toBe("Initech's */ TPS reports");
    });
  });

  describe('when the install step is not skipped', () => {
    it('should return a task that installs, so npm links the new package', async () => {
      const task = await providerGenerator(tree, { name: 'initech' });
      expect(typeof task).toBe('function');
      expect(await providerGenerator(tree, { name: 'hooli', skipInstall: true })).toBeUndefined();
    });
  });

  describe('when the name is refused', () => {
    it.each([
      ['AcmeBank', /"AcmeBank" is not kebab-case/],
      ['acme_bank', /"acme_bank" is not kebab-case/],
      ['acme--bank', /"acme--bank" is not kebab-case/],
      ['-acme', /"-acme" is not kebab-case/],
      ['acme-', /"acme-" is not kebab-case/],
      ['9lives', /"9lives" is not kebab-case.*starting with a letter/],
      ['', /"" is not kebab-case/],
    ])('should refuse %j and write nothing', async (name, message) => {
      const before = snapshot(tree);
      await expect(providerGenerator(tree, { name, skipInstall: true })).rejects.toThrow(message);
      expect(snapshot(tree)).toEqual(before);
    });

    it('should refuse a description of more than one line, and write nothing', async () => {
      const before = snapshot(tree);
      await expect(providerGenerator(tree, { name: 'initech', description: 'one\ntwo', skipInstall: true })).rejects.toThrow(
        'the description must be one non-empty line',
      );
      expect(snapshot(tree)).toEqual(before);
    });

    it('should refuse a name whose folder exists, and leave the registry untouched', async () => {
      tree.write('libs/providers/initech/notes.txt', 'someone started here');
      const before = snapshot(tree);
      await expect(providerGenerator(tree, { name: 'initech', skipInstall: true })).rejects.toThrow(
        'provider name "initech" is already taken: libs/providers/initech exists',
      );
      expect(snapshot(tree)).toEqual(before);
    });

    it('should refuse the name of an existing provider', async () => {
      const before = snapshot(tree);
      await expect(providerGenerator(tree, { name: 'example', skipInstall: true })).rejects.toThrow(
        'provider name "example" is already taken: libs/providers/example exists',
      );
      expect(snapshot(tree)).toEqual(before);
    });

    it('should refuse a name the registry already imports, even without its folder', async () => {
      tree.write('libs/registry/src/index.ts', REGISTRY_INDEX.replace("import { exampleProvider }", "import { hooliProvider } from '@octo/provider-hooli';\nimport { exampleProvider }"));
      const before = snapshot(tree);
      await expect(providerGenerator(tree, { name: 'hooli', skipInstall: true })).rejects.toThrow(
        'provider name "hooli" is already taken: libs/registry/src/index.ts already imports hooliProvider from @octo/provider-hooli',
      );
      expect(snapshot(tree)).toEqual(before);
    });

    it('should refuse to run, writing nothing, when the registry has no installedProviders array', async () => {
      tree.write('libs/registry/src/index.ts', 'export const installedProviders = loadEveryProvider();\n');
      const before = snapshot(tree);
      await expect(providerGenerator(tree, { name: 'initech', skipInstall: true })).rejects.toThrow(
        'libs/registry/src/index.ts has no "export const installedProviders = [ ... ]" array literal: restore it, then run the generator again',
      );
      expect(snapshot(tree)).toEqual(before);
      expect(tree.exists('libs/providers/initech')).toBe(false);
    });
  });
});

describe(providerNames, () => {
  it('should derive the project, package, export and class names', () => {
    expect(providerNames('globex-payroll')).toEqual({
      name: 'globex-payroll',
      directory: 'libs/providers/globex-payroll',
      projectName: 'provider-globex-payroll',
      packageName: '@octo/provider-globex-payroll',
      exportName: 'globexPayrollProvider',
      className: 'GlobexPayroll',
      constantName: 'GLOBEX_PAYROLL',
      settingsName: 'globexPayrollSettings',
    });
  });
});

describe(addToRegistrySource, () => {
  it('should add the first provider after the last import when the registry lists none', () => {
    const empty = `${CORE_IMPORT}\n\nexport const installedProviders: ReadonlyArray<ProviderPlugin<unknown>> = [\n];\n`;
    expect(addToRegistrySource(empty, providerNames('acme'))).toBe(
      `${CORE_IMPORT}\n${importOf('{ acmeProvider }', '@octo/provider-acme')}\n\nexport const installedProviders: ReadonlyArray<ProviderPlugin<unknown>> = [\n  acmeProvider,\n];\n`,
    );
  });

  it('should edit the syntax, not the lines: a one-line list, a multi-line import, comments and a commented-out import', () => {
    const source = [
      CORE_IMPORT,
      `// ${importOf('{ oldProvider }', '@octo/provider-old')}`,
      'import {',
      '  exampleProvider,',
      `} from '${['@octo', 'provider-example'].join('/')}';`,
      '',
      '/* the installed plugins */ export const installedProviders = [exampleProvider /* the demo */] satisfies ReadonlyArray<ProviderPlugin<unknown>>;',
      '',
    ].join('\n');
    const edited = addToRegistrySource(source, providerNames('zeta'));
    expect(edited).toBe(
      source
        .replace(`} from '${['@octo', 'provider-example'].join('/')}';`, `} from '${['@octo', 'provider-example'].join('/')}';\n${importOf('{ zetaProvider }', '@octo/provider-zeta')}`)
        .replace('[exampleProvider /* the demo */]', '[exampleProvider /* the demo */, zetaProvider]'),
    );
    // Sorted in front of a later name; and after the last entry of a one-line list with a trailing comma.
    const withOld = addToRegistrySource(source, providerNames('alpha'));
    expect(withOld).toContain(`${importOf('{ alphaProvider }', '@octo/provider-alpha')}\nimport {\n  exampleProvider,`);
    expect(withOld).toContain('[alphaProvider, exampleProvider /* the demo */]');
    expect(addToRegistrySource('export const installedProviders = [a,];\n', providerNames('b'))).toBe(`${importOf('{ bProvider }', '@octo/provider-b')}\nexport const installedProviders = [a, bProvider,];\n`);
  });

  it('should know a provider the registry imports on several lines, and one a commented-out line only mentions', () => {
    const source = `import {\n  oldProvider,\n} from '${['@octo', 'provider-old'].join('/')}';\n// ${importOf('{ goneProvider }', '@octo/provider-gone')}\nexport const installedProviders = [\n  oldProvider,\n];\n`;
    expect(() => addToRegistrySource(source, providerNames('old'))).toThrow(
      'provider name "old" is already taken: libs/registry/src/index.ts already imports oldProvider from @octo/provider-old',
    );
    expect(addToRegistrySource(source, providerNames('gone'))).toContain('  goneProvider,\n  oldProvider,\n];');
  });
});
