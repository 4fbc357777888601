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
});
