import { projectTestConfig } from '../../vitest.shared.js';

// Integration specs start real servers and move a 1 GiB file: give them room.
export default projectTestConfig({ integrationTimeoutMs: 180_000 });
