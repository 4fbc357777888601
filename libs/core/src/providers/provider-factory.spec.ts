import { Readable } from 'node:stream';
import { inject, injectable } from 'inversify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DefaultRouter } from '../adapters/routing/default-router.js';
import { createRootContainer } from '../container/create-root-container.js';
import type { FileContext } from '../ports/file-context.js';
import type { FolderNamer } from '../ports/folder-namer.js';
import { TYPES } from '../ports/identifiers.js';
import type { RemoteSource } from '../ports/remote-source.js';
import { octoFailure } from '../testing/expect-failure.js';
import { createTempWorkspace, type TempWorkspace } from '../testing/temp-workspace.js';
import { ProviderFactory } from './provider-factory.js';
import { defineProvider, type ProviderEnvironment, type ProviderPlugin } from './provider-plugin.js';
import { providerSettings } from './provider-settings.js';

const context: FileContext = { provider: 'plain', jobId: 'j', file: { path: 'in/a.csv', size: 1, mtimeMs: 0 } };

/** The settings of a test plugin, and a folder rule that gets them by injection. */
const shelfSettings = providerSettings('plain', z.object({ shelf: z.string().regex(/^[a-z]+$/, 'expected lowercase letters, e.g. top') }).strict());

@injectable()
class ShelfFolderNamer implements FolderNamer {
  constructor(@inject(shelfSettings.token) private readonly settings: z.output<typeof shelfSettings.schema>) {}

  folderFor(): string {
    return `shelf-${this.settings.shelf}`;
  }
}

const memorySource: RemoteSource = {
  description: 'memory://x',
  list: async () => [],
  open: async () => Readable.from([]),
  readSmall: async () => Buffer.alloc(0),
  close: async () => undefined,
};

describe(ProviderFactory, () => {
  let w: TempWorkspace;
  let withSettings: TempWorkspace;

  beforeAll(async () => {
    w = await createTempWorkspace();
    withSettings = await createTempWorkspace({ providerConfig: { settings: { shelf: 'top' } } });
  });

  afterAll(async () => {
    await Promise.all([w.cleanup(), withSettings.cleanup()]);
  });

  const plugin = (register: (env: ProviderEnvironment<unknown>) => void | Promise<void>, extra: Partial<ProviderPlugin<unknown>> = {}) =>
    defineProvider<unknown>({ name: 'plain', description: 'test', register, ...extra });
  const create = (p: ProviderPlugin<unknown>, on: TempWorkspace = w) => new ProviderFactory(createRootContainer(), [p], on.loaded).create('plain');

  describe('when a plugin overrides ports through its facade', () => {
    it("should replace a port the factory bound (the source) and one core bound (the router) alike, with no bind or rebind to choose", async () => {
      const router = { route: () => 'fixed/key' };
      const handle = await create(
        plugin(({ override }) => {
          override('remoteSource', { value: memorySource });
          override('router', { value: router });
        }),
      );
      expect(handle.container.get(TYPES.RemoteSource)).toBe(memorySource);
      expect(handle.container.get(TYPES.Router).route({ name: 'a.csv' }, context)).toBe('fixed/key');
    });

    it('should build a class override with its injected dependencies', async () => {
      const handle = await create(plugin(({ override }) => override('folderNamer', ShelfFolderNamer), { settings: shelfSettings }), withSettings);
      expect(handle.container.get(TYPES.Router)).toBeInstanceOf(DefaultRouter);
      expect(handle.container.get(TYPES.Router).route({ name: 'a.csv' }, context)).toBe('data/csv/shelf-top/a.csv');
    });
  });

  describe('when a plugin declares settings', () => {
    it('should hand the parsed settings to its register step and to its stages through the settings token', async () => {
      let seen: unknown;
      const handle = await create(plugin(({ settings }) => void (seen = settings), { settings: shelfSettings }), withSettings);
      expect(seen).toEqual({ shelf: 'top' });
      expect(handle.container.get(shelfSettings.token)).toEqual({ shelf: 'top' });
    });

    it('should refuse bad settings at their config path', async () => {
      const bad = await createTempWorkspace({ providerConfig: { settings: { shelf: 'Top Shelf' } } });
      try {
        const error = await octoFailure(create(plugin(() => undefined, { settings: shelfSettings }), bad));
        expect(error.message).toMatch(/\n {2}providers\.plain\.settings\.shelf: expected lowercase letters, e\.g\. top$/);
        expect([error.kind, error.fatal]).toEqual(['config', true]);
      } finally {
        await bad.cleanup();
      }
    });

    it("should refuse another plugin's settings at definition", () => {
      expect(() => defineProvider({ name: 'other', description: 'x', settings: shelfSettings })).toThrow(
        `provider plugin "other" declares the settings of plugin "plain": make them with providerSettings('other', schema)`,
      );
    });
  });

  describe('when a plugin is misconfigured', () => {
    it.each([
      [
        'an unknown port',
        plugin(({ override }) => (override as (port: string, value: unknown) => void)('routr', { value: {} })),
        'plugin "plain" (provider "plain") overrides "routr", which is not a port a plugin can override: the ports are decryptor, entryTransform, fileHandler, folderNamer, ledger, objectStore, remoteSource, router, signatureVerifier, unpacker',
      ],
      [
        'a port twice',
        plugin(({ override }) => {
          override('router', { value: { route: () => 'a' } });
          override('router', DefaultRouter);
        }),
        'plugin "plain" (provider "plain") overrides router twice: keep one override per port',
      ],
      [
        'neither a class nor a value',
        plugin(({ override }) => override('router', {} as never)),
        'plugin "plain" (provider "plain") overrides router with an object without a value: give a class (the container builds it) or { value } (a ready instance)',
      ],
      [
        'a stage that cannot be built',
        // Injects the settings token of a plugin that declared none: nothing is bound for it.
        plugin(({ override }) => override('folderNamer', ShelfFolderNamer)),
        /^plugin "plain" overrides folderNamer with ShelfFolderNamer, which cannot be built for provider "plain": .+; check that it is @injectable\(\) and injects only core's TYPES and its own settings token$/,
      ],
      ['a register step that throws', plugin(() => { throw new TypeError('cannot read the partner table'); }), 'plugin "plain" failed to set up provider "plain": cannot read the partner table'],
    ])('should fail the provider at start, naming the plugin and the port: %s', async (_what, p, message) => {
      const error = await octoFailure(create(p));
      expect([error.kind, error.fatal]).toEqual(['config', true]);
      if (typeof message === 'string') expect(error.message).toBe(message);
      else expect(error.message).toMatch(message);
    });

    it('should refuse an override made after register returned', async () => {
      let late: ProviderEnvironment<unknown>['override'] | undefined;
      await create(plugin(({ override }) => void (late = override)));
      expect(() => late?.('router', DefaultRouter)).toThrow(
        'plugin "plain" (provider "plain") overrides router after its register step returned: call override() before register returns (or resolves)',
      );
    });

    it('should refuse a settings block for a plugin that takes none', async () => {
      const error = await octoFailure(create(plugin(() => undefined), withSettings));
      expect(error.message).toMatch(/\n {2}providers\.plain\.settings: plugin "plain" takes no settings; remove the block$/);
    });

    it('should refuse two installed plugins of one name', () => {
      const p = plugin(() => undefined);
      expect(() => new ProviderFactory(createRootContainer(), [p, p], w.loaded)).toThrow(
        'two installed plugins are named "plain": each plugin name must be unique, remove one from the registry',
      );
    });
  });
});
