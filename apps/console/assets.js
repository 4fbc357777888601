// Where the built console is: dist/ beside this file. Plain JavaScript, kept out of the CLI and API
// bundles (they mark @octo/console external), so import.meta.url is always this file's own URL.
import { fileURLToPath } from 'node:url';

export const consoleAssetsDir = fileURLToPath(new URL('./dist/', import.meta.url));
