import { defineProvider } from '../providers/provider-plugin.js';
import { DatedTestFolderNamer } from './dated-test-folder-namer.js';

/**
 * A provider plugin for tests of what runs providers (the server, the CLI): every default port
 * but the folder rule, which dates folders from file names ({@link DatedTestFolderNamer}), so
 * the {@link writeTestDrop} files land under `<provider>/2026-11-0N/`.
 */
export const testPartnerProvider = defineProvider({
  name: 'test-partner',
  description: 'Test only: default ports, folders dated from file names',
  register({ override }) {
    override('folderNamer', DatedTestFolderNamer);
  },
});
