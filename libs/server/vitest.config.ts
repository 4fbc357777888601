import { projectTestConfig } from '../../vitest.shared.js';

export default projectTestConfig({ integrationTimeoutMs: 300_000 });
