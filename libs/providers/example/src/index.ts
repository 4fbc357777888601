import { defineProvider, providerSettings, resolvePath } from '@octo/core';
import { z } from 'zod';
import { DatedFolderNamer } from './dated-folder-namer.js';
import { OsJunkFileHandler } from './os-junk-file-handler.js';
import { SeedingRemoteSource } from './seed/seeding-remote-source.js';

export { DatedFolderNamer } from './dated-folder-namer.js';
export { OsJunkFileHandler } from './os-junk-file-handler.js';
export { writeSampleDrop, sampleFiles, DEMO_KEYS_DIR, type SampleFile } from './seed/sample-drop.js';

/** The `settings:` block of the `example` entry in octo.config.yaml. */
export const exampleSettings = providerSettings(
  'example',
  z
    .object({
      /** Seed a local (`file://`) drop with the sample files when the folder does not exist. */
      seed: z.boolean().default(true),
    })
    .strict(),
);

/** The example provider: dated folders, OS junk dropped from archives, and a demo drop seeded on first use. */
export const exampleProvider = defineProvider({
  name: 'example',
  description: 'Demo partner: sample drop seeded on first use, folders dated from file names',
  settings: exampleSettings,
  register({ provider, settings, override }) {
    override('folderNamer', DatedFolderNamer);
    override('fileHandler', OsJunkFileHandler);
    const source = provider.config.source;
    if (settings.seed && source.url.startsWith('file://')) {
      override('remoteSource', { value: new SeedingRemoteSource(resolvePath(provider.baseDir, source.url), { recursive: source.recursive }) });
    }
  },
});
