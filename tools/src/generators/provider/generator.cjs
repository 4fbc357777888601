// Nx loads a generator with Node's require. Node 20 cannot read TypeScript, and Nx's own
// fallback needs @swc-node/register or ts-node, which the workspace does not install; tsx
// (already what runs everything else) loads generator.ts here, scoped to this require.
const tsx = require('tsx/cjs/api');

module.exports = tsx.require('./generator.ts', __filename);
