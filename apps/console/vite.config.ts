import { defineConfig } from 'vite';

// Built into dist/ (served by `octo serve` at /): hashed files under assets/, no inline script or
// style (the server's CSP allows 'self' only), nothing fetched from another origin at run time.
export default defineConfig({
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
});
