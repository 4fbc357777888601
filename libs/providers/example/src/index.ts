import { resolvePath, TYPES, defineProvider } from '@octo/core';
import { z } from 'zod';
import { DatedFolderNamer } from './dated-folder-namer.js';
import { OsJunkFilter } from './os-junk-filter.js';
import { SeedingRemoteSource } from './seed/seeding-remote-source.js';

export { DatedFolderNamer } from './dated-folder-namer.js';
export { OsJunkFilter } from './os-junk-filter.js';
export { writeSampleDrop, sampleFiles, DEMO_KEYS_DIR, type SampleFile } from './seed/sample-drop.js';

const settingsSchema = z
  .object({
    /** Seed a local (`file://`) drop with the sample files when the folder does not exist. */
    seed: z.boolean().default(true),
  })
  .strict();

/** The example provider: dated folders, an OS-junk filter, and a demo drop seeded on first use. */
export const exampleProvider = defineProvider({
  name: 'example',
  description: 'Demo partner: sample drop seeded on first use, folders dated from file names',
  settings: settingsSchema,
  register({ options, context }) {
    options.bind(TYPES.FolderNamer).to(DatedFolderNamer);
    options.bind(TYPES.FileFilter).to(OsJunkFilter);
    const source = context.config.source;
    if (context.settings.seed && source.url.startsWith('file://')) {
      options.rebindSync(TYPES.RemoteSource).toConstantValue(
        new SeedingRemoteSource(resolvePath(context.baseDir, source.url), { recursive: source.recursive }),
      );
    }
  },
});
