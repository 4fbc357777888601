// .mts because tools is not an ESM package; eslint.config.mjs lifts the boundary rule only for vitest.config.ts.
// eslint-disable-next-line @nx/enforce-module-boundaries -- the shared test config is imported by path, like every project's
import { projectTestConfig } from '../vitest.shared.js';

export default projectTestConfig();
