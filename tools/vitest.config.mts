// .mts because tools is not an ESM package.
import { mergeConfig } from 'vitest/config';
import { projectTestConfig } from '../vitest.shared.js';

// The bench's own arithmetic has a unit spec beside it; the bench itself is not a test.
export default mergeConfig(projectTestConfig(), { test: { include: ['bench/**/*.spec.ts'] } });
