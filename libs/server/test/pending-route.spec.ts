import { mkdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { createOctoApi, type OctoApi } from '../src/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPartnerWorkspace, type TempWorkspace, TEST_ENV, TEST_TOKEN, testPartnerProvider } from '@octo/core/testing';

const auth = { authorization: `Bearer ${TEST_TOKEN}` };

describe('GET /v1/providers/:name/pending', () => {
  let setup: TempWorkspace;
  let api: OctoApi;

  beforeEach(async () => {
    setup = await createTestPartnerWorkspace({ testDrop: false });
    api = await createOctoApi({ loaded: setup.loaded, plugins: [testPartnerProvider], env: TEST_ENV, api: { logLevel: 'silent' } });
  });

  afterEach(async () => {
    await api?.shutdown(0);
    await setup.cleanup();
  });

  it('should list the files the next sync would take, oldest first, and none once they are ingested', async () => {
    const samples = await setup.writeTestDrop();
    await writeFile(path.join(setup.dropDir, 'oldest.csv'), 'id\n1\n');
    await utimes(path.join(setup.dropDir, 'oldest.csv'), new Date('2020-01-01T00:00:00Z'), new Date('2020-01-01T00:00:00Z'));
    const answer = await api.app.inject({ method: 'GET', url: '/v1/providers/example/pending', headers: auth });
    expect(answer.statusCode).toBe(200);
    const body = answer.json();
    expect(body.provider).toBe('example');
    expect(body.count).toBe(samples.length + 1);
    expect(body.files[0]).toEqual({ path: 'oldest.csv', size: 5, modifiedAt: '2020-01-01T00:00:00.000Z' });
    expect(body.files.map((file: { path: string }) => file.path).sort()).toEqual([...samples.map((sample) => sample.file), 'oldest.csv'].sort());

    const started = await api.app.inject({ method: 'POST', url: '/v1/providers/example/jobs', headers: auth });
    await api.runtime.jobs.get(started.json().id)!.done;
    const after = await api.app.inject({ method: 'GET', url: '/v1/providers/example/pending', headers: auth });
    expect(after.json()).toEqual({ provider: 'example', count: 0, files: [], quarantined: 0, inProgress: [] });
  });

  it('should leave a quarantined file out and count it, as octo pending does, and list it again once released', async () => {
    await mkdir(setup.dropDir, { recursive: true });
    const gz = gzipSync(Buffer.alloc(10_000, 'x'));
    await writeFile(path.join(setup.dropDir, 'broken.csv.gz'), gz.subarray(0, gz.length - 10));
    // Three failed runs (quarantine.after's default) quarantine it.
    for (let run = 0; run < 3; run += 1) {
      const started = await api.app.inject({ method: 'POST', url: '/v1/providers/example/jobs', headers: auth });
      await api.runtime.jobs.get(started.json().id)!.done;
    }
    await writeFile(path.join(setup.dropDir, 'new.csv'), 'id\n1\n');
    const quarantined = await api.app.inject({ method: 'GET', url: '/v1/providers/example/pending', headers: auth });
    expect(quarantined.json()).toMatchObject({ provider: 'example', count: 1, quarantined: 1 });
    expect(quarantined.json().files.map((file: { path: string }) => file.path)).toEqual(['new.csv']);

    const released = await api.app.inject({ method: 'POST', url: '/v1/providers/example/quarantine/release', headers: auth, payload: { path: 'broken.csv.gz' } });
    expect(released.statusCode).toBe(200);
    const after = await api.app.inject({ method: 'GET', url: '/v1/providers/example/pending', headers: auth });
    expect(after.json()).toMatchObject({ count: 2, quarantined: 0 });
    expect(after.json().files.map((file: { path: string }) => file.path).sort()).toEqual(['broken.csv.gz', 'new.csv']);
  });

  it('should name the files the globs match that are left as uploads in progress or dot files, and take none of them', async () => {
    await mkdir(path.join(setup.dropDir, '.incoming'), { recursive: true });
    await writeFile(path.join(setup.dropDir, '.incoming', 'statement.csv'), 'id\n1\n');
    await writeFile(path.join(setup.dropDir, 'statement.csv.part'), 'id\n');
    await writeFile(path.join(setup.dropDir, 'ready.csv'), 'id\n2\n');
    const answer = await api.app.inject({ method: 'GET', url: '/v1/providers/example/pending', headers: auth });
    expect(answer.json()).toMatchObject({ count: 1, inProgress: ['.incoming/statement.csv', 'statement.csv.part'] });
    expect(answer.json().files.map((file: { path: string }) => file.path)).toEqual(['ready.csv']);
  });

  it('should answer 404 naming the configured providers for an unknown one, and 401 without a token', async () => {
    const unknown = await api.app.inject({ method: 'GET', url: '/v1/providers/nobody/pending', headers: auth });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().message).toBe('unknown provider "nobody": the configured providers are example');
    expect((await api.app.inject({ method: 'GET', url: '/v1/providers/example/pending' })).statusCode).toBe(401);
  });
});
