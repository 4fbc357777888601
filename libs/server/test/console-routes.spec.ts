import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CONSOLE_CSP, createOctoApi, type OctoApi } from '../src/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPartnerWorkspace, type TempWorkspace, TEST_ENV, TEST_TOKEN, testPartnerProvider } from '@octo/core/testing';

describe('the web console served at /', () => {
  let setup: TempWorkspace;
  let api: OctoApi;
  let assets: string;
  const logLines: string[] = [];
  const logDestination = { write: (line: string) => void logLines.push(line) };

  const build = (assetsDir: string) =>
    createOctoApi({ loaded: setup.loaded, plugins: [testPartnerProvider], env: TEST_ENV, api: { logLevel: 'warn' }, consoleAssetsDir: assetsDir, logDestination });

  beforeEach(async () => {
    setup = await createTestPartnerWorkspace();
    logLines.length = 0;
    assets = await mkdtemp(path.join(tmpdir(), 'octo-console-assets-'));
  });

  afterEach(async () => {
    await api?.shutdown(0);
    await setup.cleanup();
    await rm(assets, { recursive: true, force: true });
  });

  describe('when the console is built', () => {
    beforeEach(async () => {
      await mkdir(path.join(assets, 'assets'));
      await writeFile(path.join(assets, 'index.html'), '<!doctype html><title>Octo console</title><script type="module" src="/assets/app-1a2b.js"></script>');
      await writeFile(path.join(assets, 'assets', 'app-1a2b.js'), 'console.log("octo")');
      await writeFile(path.join(assets, 'secret.txt'), 'not an asset');
      api = await build(assets);
    });

    it('should answer the page without a token, with the CSP and headers that keep it to itself', async () => {
      const page = await api.app.inject({ method: 'GET', url: '/' });
      expect(page.statusCode).toBe(200);
      expect(page.body).toBe('<!doctype html><title>Octo console</title><script type="module" src="/assets/app-1a2b.js"></script>');
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.headers['content-security-policy']).toBe(CONSOLE_CSP);
      expect(CONSOLE_CSP).toBe("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
      expect(page.headers['x-frame-options']).toBe('DENY');
      expect(page.headers['x-content-type-options']).toBe('nosniff');
      expect(page.headers['referrer-policy']).toBe('no-referrer');
      expect(page.headers['cache-control']).toBe('no-cache');
      const script = await api.app.inject({ method: 'GET', url: '/assets/app-1a2b.js' });
      expect(script.statusCode).toBe(200);
      expect(script.body).toBe('console.log("octo")');
      expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(script.headers['content-security-policy']).toBe(CONSOLE_CSP);
    });

    it('should serve nothing outside assets/, and keep /v1 behind its token', async () => {
      for (const url of ['/assets/..%2Fsecret.txt', '/assets/../secret.txt', '/assets/%2e%2e/secret.txt', '/assets/nothing.js', '/assets/']) {
        const answer = await api.app.inject({ method: 'GET', url });
        expect(answer.body, url).not.toContain('not an asset');
        expect([401, 404], url).toContain(answer.statusCode);
      }
      expect((await api.app.inject({ method: 'GET', url: '/secret.txt' })).statusCode).toBe(401);
      expect((await api.app.inject({ method: 'GET', url: '/v1/jobs' })).statusCode).toBe(401);
      expect((await api.app.inject({ method: 'GET', url: '/v1/jobs', headers: { authorization: `Bearer ${TEST_TOKEN}` } })).statusCode).toBe(200);
      expect(logLines.join('')).not.toContain('not built');
    });
  });

  describe('when the console was not built', () => {
    it('should start the API, log how to build the console, and answer / with 503 saying so', async () => {
      api = await build(path.join(assets, 'dist'));
      const message = 'the web console is not built: run `npx nx run console:build` in the Octo checkout (npm ci builds it), then restart octo serve; the API works without it';
      expect(logLines.map((line) => JSON.parse(line) as { msg: string }).map((line) => line.msg)).toContain(message);
      const page = await api.app.inject({ method: 'GET', url: '/' });
      expect(page.statusCode).toBe(503);
      expect(page.json()).toEqual({ statusCode: 503, error: 'Service Unavailable', message });
      expect(page.body).not.toContain(assets);
      expect((await api.app.inject({ method: 'GET', url: '/v1/jobs', headers: { authorization: `Bearer ${TEST_TOKEN}` } })).statusCode).toBe(200);
    });
  });
});
