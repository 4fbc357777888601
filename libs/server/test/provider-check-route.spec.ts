import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOctoApi, type OctoApi } from '../src/index.js';
import { createTempWorkspace, type TempWorkspace, testPartnerProvider } from '@octo/core/testing';

const TEST_TOKEN = 'check-route-token-0123456789abcdef0123';

describe('GET /v1/providers/:name/check', () => {
  let w: TempWorkspace;
  let api: OctoApi;

  beforeAll(async () => {
    w = await createTempWorkspace({ provider: 'example', plugin: 'test-partner', secrets: { 'pass.txt': 'drop pass\n' }, providerConfig: { decryption: { passphrase: 'file:pass.txt' } } });
    await writeFile(path.join(w.dropDir, 'a.csv'), 'id\n1\n');
    api = await createOctoApi({ loaded: w.loaded, plugins: [testPartnerProvider], env: { OCTO_API_TOKEN: TEST_TOKEN }, api: { logLevel: 'silent' } });
  });

  afterAll(async () => {
    await api?.app.close();
    await w?.cleanup();
  });

  it('should answer every step with its status, detail and time, and write nothing to the bucket', async () => {
    const answer = await api.app.inject({ method: 'GET', url: '/v1/providers/example/check', headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect(answer.statusCode).toBe(200);
    const body = answer.json() as { provider: string; ok: boolean; steps: { step: string; status: string; detail: string; seconds: number }[] };
    expect(body.provider).toBe('example');
    expect(body.ok).toBe(true);
    expect(body.steps.map((step) => [step.step, step.status, step.detail])).toEqual([
      ['secrets', 'pass', '1 secret(s) resolve: decryption.passphrase'],
      ['keys', 'skip', 'no private keys (passphrase-encrypted files only)'],
      ['connect', 'pass', 'this source needs no connection'],
      ['login', 'skip', 'no login for this source'],
      ['list', 'pass', '1 file(s) listed'],
      ['read', 'pass', `read the first 5 byte(s) of a.csv: ${Buffer.from('id\n1\n').toString('hex')}`],
      ['bucket', 'pass', 'the bucket exists, the credentials work, a probe object was written, read and removed'],
    ]);
    for (const step of body.steps) expect(typeof step.seconds).toBe('number');
  });

  it('should say which providers exist when asked for an unknown one', async () => {
    const answer = await api.app.inject({ method: 'GET', url: '/v1/providers/nobody/check', headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect(answer.statusCode).toBe(404);
    expect((answer.json() as { message: string }).message).toBe('unknown provider "nobody": the configured providers are example');
  });

  it('should refuse a request without a token', async () => {
    const answer = await api.app.inject({ method: 'GET', url: '/v1/providers/example/check' });
    expect(answer.statusCode).toBe(401);
  });
});
