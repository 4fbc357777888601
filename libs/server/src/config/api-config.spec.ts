import type { LoadedConfig, OctoConfig } from '@octo/core';
import { describe, expect, it } from 'vitest';
import { parseApiConfig } from './api-config.js';

const loadedWith = (api: unknown): LoadedConfig => ({
  config: { store: { url: 'file://x' }, providers: {}, api } as unknown as OctoConfig,
  file: '/etc/octo/octo.config.yaml',
  baseDir: '/etc/octo',
});

describe(parseApiConfig, () => {
  describe('when the api block is absent', () => {
    it('should listen on 127.0.0.1:8080 with the token from env:OCTO_API_TOKEN', () => {
      expect(parseApiConfig(loadedWith(undefined))).toEqual({
        host: '127.0.0.1',
        port: 8080,
        tokens: ['env:OCTO_API_TOKEN'],
        metricsAuth: 'token',
        shutdownDeadlineMs: 30_000,
        sseHeartbeatMs: 15_000,
        logLevel: 'info',
        limits: { bodyBytes: 16_384, maxConcurrency: 16, maxPageSize: 100 },
        rateLimit: { max: 600, authFailures: 20, windowMs: 60_000 },
        session: { ttlMs: 8 * 3_600_000 },
      });
    });
  });

  describe('when a field is bad', () => {
    it('should fail with the file and the path of every bad field', () => {
      expect(() => parseApiConfig(loadedWith({ port: 70_000, tokens: ['hunter2-literal-token'], metricsAuth: 'open', limits: { maxConcurrency: 0 }, extra: 1 }))).toThrow(
        [
          'config /etc/octo/octo.config.yaml is invalid:',
          '  api.port: Too big: expected number to be <=65535',
          '  api.tokens.0: expected a secret reference such as env:NAME or file:PATH, never the secret itself',
          '  api.metricsAuth: Invalid option: expected one of "token"|"none"',
          '  api.limits.maxConcurrency: Too small: expected number to be >=1',
          '  api: Unrecognized key: "extra"',
        ].join('\n'),
      );
    });

    it('should validate command-line overrides like the block, naming the flag', () => {
      expect(parseApiConfig(loadedWith({ port: 9000, host: '0.0.0.0' }), { port: 0 })).toMatchObject({ host: '0.0.0.0', port: 0 });
      expect(() => parseApiConfig(loadedWith({}), { port: 99_999 })).toThrow(
        'config /etc/octo/octo.config.yaml (with --port) is invalid:\n  api.port: Too big: expected number to be <=65535',
      );
    });

    it('should refuse an empty token list', () => {
      expect(() => parseApiConfig(loadedWith({ tokens: [] }))).toThrow('api.tokens: configure at least one token reference, e.g. env:OCTO_API_TOKEN');
    });
  });
});
