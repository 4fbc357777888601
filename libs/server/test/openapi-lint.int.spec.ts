import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createOctoApi, type OctoApi } from '../src/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestPartnerWorkspace, type TempWorkspace, TEST_ENV, testPartnerProvider } from '@octo/core/testing';

const run = promisify(execFile);
const REDOCLY = fileURLToPath(new URL('../../../node_modules/@redocly/cli/bin/cli.js', import.meta.url));

let setup: TempWorkspace | undefined;
let api: OctoApi | undefined;
afterEach(async () => {
  await api?.shutdown();
  await setup?.cleanup();
  api = undefined;
  setup = undefined;
});

describe('the OpenAPI document', () => {
  it('should lint clean with Redocly CLI (recommended rules): an operationId on every operation, the server it is served from', async () => {
    setup = await createTestPartnerWorkspace();
    api = await createOctoApi({ loaded: setup.loaded, plugins: [testPartnerProvider], env: TEST_ENV, api: { port: 0, logLevel: 'silent' } });
    const url = await api.listen();
    const doc = (await api.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.servers).toEqual([{ url, description: 'this octo serve (api.host and api.port)' }]);
    const ids = Object.values(doc.paths as Record<string, Record<string, { operationId?: string }>>).flatMap((item) => Object.values(item).map((op) => op.operationId));
    expect(ids.sort()).toEqual(['cancelJob', 'checkProvider', 'createSession', 'deleteSession', 'followJobEvents', 'getHealth', 'getJob', 'getMetrics', 'getProvider', 'getReadiness', 'getSession', 'listJobs', 'listLedgerRecords', 'listPendingFiles', 'listProviders', 'listQuarantinedFiles', 'releaseQuarantinedFile', 'startJob']);

    const file = path.join(setup.dir, 'openapi.json');
    await writeFile(file, JSON.stringify(doc, null, 2));
    // No redocly.yaml: the recommended ruleset; telemetry off, so the lint never calls out.
    const result = await run(process.execPath, [REDOCLY, 'lint', file, '--format', 'json'], { cwd: setup.dir, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } }).catch((error: { stdout: string; stderr: string; code: number }) => error);
    const report = JSON.parse(result.stdout) as { totals: { errors: number; warnings: number }; problems: Array<{ ruleId: string; message: string }> };
    expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });
});
