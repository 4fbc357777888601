// .mts because tools is not an ESM package.
import { projectTestConfig } from '../vitest.shared.js';

export default projectTestConfig();
