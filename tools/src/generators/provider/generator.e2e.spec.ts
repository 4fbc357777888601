import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// One real run of `nx g @octo/tools:provider` in a temporary copy of this workspace (its
// files without node_modules, .nx, .octo), then the new library's tests through Nx, `octo
// providers`, and `nx affected` after a change inside that one provider.

const WORKSPACE = path.resolve(__dirname, '../../../..');
const NAME = 'initech-hr';

/** Runs a command in the copy; returns its output, or throws with it. */
function run(cwd: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_SKIP_NX_CACHE: 'true', NX_INTERACTIVE: 'false', CI: 'true', FORCE_COLOR: '0' },
    timeout: 120_000,
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}:\n${output}`);
  return output;
}

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=octo-test', '-c', 'user.email=octo-test@example.test', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' });

/**
 * node_modules for the copy: every package is a link to this workspace's, except the
 * `@octo/*` workspace links and `.bin`, whose relative links are copied as they are, so
 * they point into the copy (what `npm install` would have made there).
 */
function linkNodeModules(copy: string): void {
  const real = path.join(WORKSPACE, 'node_modules');
  const target = path.join(copy, 'node_modules');
  mkdirSync(target);
  for (const entry of readdirSync(real)) {
    if (entry === '@octo' || entry === '.bin') {
      mkdirSync(path.join(target, entry));
      for (const inner of readdirSync(path.join(real, entry))) {
        const from = path.join(real, entry, inner);
        if (lstatSync(from).isSymbolicLink()) symlinkSync(readlinkSync(from), path.join(target, entry, inner));
      }
    } else {
      symlinkSync(path.join(real, entry), path.join(target, entry));
    }
  }
}

describe('nx g @octo/tools:provider, in a copy of the workspace', () => {
  let copy: string;
  let generated: string;

  beforeAll(() => {
    copy = mkdtempSync(path.join(tmpdir(), 'octo-workspace-'));
    const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: WORKSPACE, encoding: 'utf8' })
      .split('\0')
      .filter((file) => file && !/^(node_modules|\.nx|\.octo)\//.test(file) && existsSync(path.join(WORKSPACE, file)));
    for (const file of files) {
      mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
      cpSync(path.join(WORKSPACE, file), path.join(copy, file));
    }
    linkNodeModules(copy);
    git(copy, 'init', '-q', '-b', 'main');
    git(copy, 'add', '-A');
    git(copy, 'commit', '-q', '-m', 'base');
    generated = run(copy, 'npx', ['nx', 'g', '@octo/tools:provider', NAME, '--description=Initech HR: weekly timesheets', '--skipInstall', '--no-interactive']);
    // What the generator's install step (npm install) does for a new workspace package.
    symlinkSync(`../../libs/providers/${NAME}`, path.join(copy, 'node_modules', '@octo', `provider-${NAME}`));
  }, 180_000);

  afterAll(() => {
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  it('should create the library and update only the registry outside it', () => {
    expect(generated).toContain(`CREATE libs/providers/${NAME}/src/index.ts`);
    expect(generated).toContain(`CREATE libs/providers/${NAME}/src/${NAME}-folder-namer.ts`);
    expect(generated).toContain(`CREATE libs/providers/${NAME}/src/${NAME}-file-handler.ts`);
    expect(generated).toContain(`CREATE libs/providers/${NAME}/src/${NAME}-entry-transform.ts`);
    expect(generated).toContain(`CREATE libs/providers/${NAME}/src/${NAME}-provider.spec.ts`);
    expect(generated).toContain(`CREATE libs/providers/${NAME}/README.md`);
    const changed = git(copy, 'status', '--porcelain', '--untracked-files=all')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.slice(3))
      .filter((file) => !file.startsWith(`libs/providers/${NAME}/`))
      .sort();
    expect(changed).toEqual(['libs/registry/package.json', 'libs/registry/src/index.ts']);
    expect(readFileSync(path.join(copy, 'libs/registry/src/index.ts'), 'utf8')).toContain(`import { initechHrProvider } from '@octo/provider-${NAME}';`);
  });

  it('should refuse the same name a second time and change nothing', () => {
    const before = git(copy, 'status', '--porcelain', '--untracked-files=all');
    expect(() => run(copy, 'npx', ['nx', 'g', '@octo/tools:provider', NAME, '--skipInstall', '--no-interactive'])).toThrow(
      `provider name "${NAME}" is already taken: libs/providers/${NAME} exists`,
    );
    expect(() => run(copy, 'npx', ['nx', 'g', '@octo/tools:provider', 'Initech_HR', '--skipInstall', '--no-interactive'])).toThrow(
      'provider name "Initech_HR" is not kebab-case',
    );
    expect(git(copy, 'status', '--porcelain', '--untracked-files=all')).toBe(before);
  });

  it("should pass the new library's own tests through Nx", () => {
    const output = run(copy, 'npx', ['nx', 'test', `provider-${NAME}`, '--outputStyle=stream']);
    expect(output).toMatch(/Tests\s+6 passed \(6\)/);
    expect(output).toContain('Successfully ran target test for project provider-');
  }, 120_000);

  it('should pass lint (module boundaries included) and typecheck, as CI runs them', () => {
    const output = run(copy, 'npx', ['nx', 'run-many', '-t', 'lint', 'typecheck', '-p', `provider-${NAME}`, 'registry', '--outputStyle=static']);
    expect(output).toContain('Successfully ran targets lint, typecheck for 2 projects');
  }, 120_000);

  it('should be listed by octo providers as an installed plugin', () => {
    const listing = JSON.parse(run(copy, 'npx', ['octo', 'providers', '--json'])) as { installedPlugins: string[] };
    expect(listing.installedPlugins).toContain(NAME);
    expect(listing.installedPlugins).toContain('example');
  });

  it("should sync a first file with the README's config block pasted into octo.config.yaml", () => {
    const readme = readFileSync(path.join(copy, `libs/providers/${NAME}/README.md`), 'utf8');
    const block = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const configFile = path.join(copy, 'octo.config.yaml');
    writeFileSync(configFile, `${readFileSync(configFile, 'utf8').trimEnd()}\n${block}`);
    const drop = path.join(copy, '.octo/drop', NAME, 'in/2026');
    mkdirSync(drop, { recursive: true });
    const body = 'employee,hours\nE1001,38.5\n';
    writeFileSync(path.join(drop, 'timesheet.csv'), body);
    writeFileSync(path.join(drop, 'timesheet2.csv.part'), 'still uploading');

    // The block names its key by reference; keys are loaded when a job starts, so the operator sets them first.
    const keys = { INITECH_HR_PGP_PRIVATE_KEY: readFileSync(path.join(copy, 'libs/providers/example/demo-keys/private.asc'), 'utf8'), INITECH_HR_PGP_KEY_PASSPHRASE: 'not needed by this key' };
    const output = run(copy, 'npx', ['octo', 'sync', NAME, '--json'], keys);
    expect(output).toContain('"type":"job.finished"');
    const bucket = path.join(copy, '.octo/buckets', `${NAME}-bucket`);
    // Untouched, the generated folder rule is core's default: the provider's name, whatever the drop's folders.
    expect(readFileSync(path.join(bucket, `data/csv/${NAME}/timesheet.csv`), 'utf8')).toBe(body);
    const landed = readdirSync(path.join(bucket, 'data'), { recursive: true }).map(String).filter((file) => file.endsWith('.csv') || file.endsWith('.part'));
    expect(landed).toEqual([path.join('csv', NAME, 'timesheet.csv')]);
    git(copy, 'checkout', '--', 'octo.config.yaml');
  });

  it('should make nx affected pick that provider and its dependents only, after a change inside it', () => {
    git(copy, 'add', '-A');
    git(copy, 'commit', '-q', '-m', 'generated');
    const namer = path.join(copy, `libs/providers/${NAME}/src/${NAME}-folder-namer.ts`);
    writeFileSync(namer, `${readFileSync(namer, 'utf8')}\n// a change inside the provider only\n`);
    git(copy, 'commit', '-q', '-am', 'change one provider');
    const affected = JSON.parse(run(copy, 'npx', ['nx', 'show', 'projects', '--affected', '--base=HEAD~1', '--head=HEAD', '-t', 'test', '--json'])) as string[];
    const all = JSON.parse(run(copy, 'npx', ['nx', 'show', 'projects', '--json'])) as string[];
    expect(affected).toContain(`provider-${NAME}`);
    expect(affected).toContain('registry');
    expect(affected).toContain('cli');
    // The other providers, core and tools are not touched by the change.
    const providers = all.filter((project) => project.startsWith('provider-') && project !== `provider-${NAME}`);
    expect(providers.length).toBeGreaterThan(0);
    for (const project of [...providers, 'core', 'tools']) expect(affected, project).not.toContain(project);
  }, 120_000);

  it('should leave both apps unaffected by a change under tools/', () => {
    const script = path.join(copy, 'tools/scripts/test.mjs');
    writeFileSync(script, `${readFileSync(script, 'utf8')}\n// a change to the tooling only\n`);
    git(copy, 'commit', '-q', '-am', 'change the tooling');
    const affected = JSON.parse(run(copy, 'npx', ['nx', 'show', 'projects', '--affected', '--base=HEAD~1', '--head=HEAD', '--json'])) as string[];
    expect(affected).toContain('tools');
    expect(affected).not.toContain('cli');
    expect(affected).not.toContain('api');
  }, 120_000);
});
