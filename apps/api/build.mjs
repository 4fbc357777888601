// Bundles the API (with its workspace libraries) into dist/octo-api.mjs.
import { bundleApp } from '../../tools/scripts/bundle-app.mjs';

await bundleApp({ entry: 'bin/entry.ts', outfile: 'dist/octo-api.mjs' });
