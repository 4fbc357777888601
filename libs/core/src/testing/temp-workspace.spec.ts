import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listBucket } from './local-bucket.js';
import { createTempWorkspace, createTestPartnerWorkspace, type TempWorkspace } from './temp-workspace.js';
import { testDropFiles } from './test-drop.js';
import { testPartnerProvider } from './test-partner-provider.js';

const workspaces: TempWorkspace[] = [];
afterEach(async () => {
  await Promise.all(workspaces.splice(0).map((w) => w.cleanup()));
});

/** Where each test drop output must land: data/<type>/example/<date from the source name>/<name>. */
function expectedObjects(): Map<string, string> {
  const out = new Map<string, string>();
  for (const file of testDropFiles()) {
    const [, y, m, d] = /(\d{4})(\d{2})(\d{2})/.exec(file.file)!;
    for (const [name, digest] of Object.entries(file.outputs)) {
      const ext = path.extname(name).slice(1).toLowerCase();
      out.set(`data/${['csv', 'pdf', 'xml'].includes(ext) ? ext : 'other'}/example/${y}-${m}-${d}/${name}`, digest);
    }
  }
  return out;
}

describe(createTempWorkspace, () => {
  describe('when asked for the test drop', () => {
    it('should land every output of every file with the test partner, decrypted with the test keys', async () => {
      const w = await createTestPartnerWorkspace();
      workspaces.push(w);
      const summary = await (await (await w.runtime([testPartnerProvider])).jobs.start('example')).done;
      expect(summary.files.map((file) => `${file.path}: ${file.status}`).sort()).toEqual(testDropFiles().map((file) => `${file.file}: done`).sort());
      expect(await listBucket(w.bucketDir)).toEqual(new Map([...expectedObjects()].sort(([a], [b]) => (a < b ? -1 : 1))));
    });
  });

  describe('when given more providers', () => {
    it('should give each its drop, bucket and the test keys, with paths relative to the workspace only', async () => {
      const w = await createTempWorkspace({ provider: 'one', testKeys: true, providers: { two: { bucket: 'second' } } });
      workspaces.push(w);
      const two = w.loaded.config.providers['two']!;
      expect([two.plugin, two.source.url, two.bucket]).toEqual(['two', 'file://drop/two', 'second']);
      expect(two.decryption.passphrase).toBe('file:keys/passphrase.txt');
      expect(w.loaded.config.providers['one']!.decryption.privateKeys.map((key) => key.key)).toEqual(['file:keys/private.asc']);
      expect(await readFile(path.join(w.dir, 'keys/passphrase.txt'), 'utf8')).toBe(`${w.keys!.passphrase}\n`);
      expect(await readFile(w.configFile, 'utf8')).not.toContain(w.dir);
      expect([w.dropDirOf('two'), w.bucketDirOf('second')]).toEqual([path.join(w.dir, 'drop/two'), path.join(w.dir, 'buckets/second')]);
    });
  });

  describe('when the test drop is asked for without the test keys', () => {
    it('should refuse, saying which option gives them', async () => {
      const w = await createTempWorkspace();
      workspaces.push(w);
      expect(() => w.writeTestDrop()).toThrow('writeTestDrop needs the test keys: create the workspace with testKeys: true');
    });
  });
});
