import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { installedProviders } from './index.js';

describe('installedProviders', () => {
  it('should list each plugin once, with a kebab-case name and a description', () => {
    const names = installedProviders.map((plugin) => plugin.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain('example');
    for (const plugin of installedProviders) {
      expect(plugin.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(plugin.description.length).toBeGreaterThan(0);
    }
  });

  it('should hold the providers made with the generator', () => {
    expect(installedProviders.map((plugin) => plugin.name)).toEqual(expect.arrayContaining(['acme-bank', 'globex-payroll']));
  });

  it('should depend on exactly the provider packages it imports, so nx affected and npm agree with the list', () => {
    // The generator writes both; a hand edit that changes one and not the other breaks affected runs.
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };
    const source = readFileSync(new URL('./index.ts', import.meta.url), 'utf8');
    const imported = [...source.matchAll(/^import \{ (\w+) \} from '(@octo\/provider-[a-z0-9-]+)';$/gm)];
    const depended = Object.keys(pkg.dependencies).filter((name) => name.startsWith('@octo/provider-'));
    expect(imported.map((match) => match[2]).sort()).toEqual(depended.sort());
    expect(imported.length).toBe(installedProviders.length);
    for (const plugin of installedProviders) expect(depended).toContain(`@octo/provider-${plugin.name}`);
  });
});
