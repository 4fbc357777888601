// Bundles the CLI (with its workspace libraries) into dist/octo.mjs.
import { bundleApp } from '../../tools/scripts/bundle-app.mjs';

await bundleApp({ entry: 'bin/entry.ts', outfile: 'dist/octo.mjs' });
