import { describe, expect, it } from 'vitest';
import { effectiveConfig, type SecretProbe } from './effective-config.js';

const probe: SecretProbe = { envSet: (name) => name === 'ACME_PASS', fileExists: (file) => file === 'keys/acme.asc' };

describe(effectiveConfig, () => {
  const raw = {
    store: 's3://landing',
    providers: {
      acme: { source: 'sftp://acme:hunter2@sftp.acme.example/outbox', bucket: 'acme', decryption: { passphrase: 'env:ACME_PASS', privateKeys: [{ key: 'file:keys/acme.asc', passphrase: 'env:GONE' }] } },
      other: { source: 'file://drop', bucket: 'other' },
    },
  };
  const config = {
    store: { url: 's3://landing', maxAttempts: 5 },
    concurrency: 8,
    providers: {
      acme: { source: { url: 'sftp://acme:hunter2@sftp.acme.example/outbox', recursive: true }, bucket: 'acme', decryption: { passphrase: 'env:ACME_PASS', privateKeys: [{ key: 'file:keys/acme.asc', passphrase: 'env:GONE' }] } },
      other: { source: { url: 'file://drop', recursive: true }, bucket: 'other' },
    },
  };

  it('should give each value its origin, show secrets only as references with whether they resolve, and never a secret value', () => {
    const rows = effectiveConfig(raw, config, { AWS_REGION: 'eu-west-1', AWS_SECRET_ACCESS_KEY: 'wJalrSECRET', AWS_PROFILE: 'prod' }, probe, 'acme');
    expect(rows).toEqual([
      { path: 'store.url', value: 's3://landing', origin: 'file' },
      { path: 'store.maxAttempts', value: '5', origin: 'default' },
      { path: 'concurrency', value: '8', origin: 'default' },
      { path: 'providers.acme.source.url', value: 'sftp://acme:[redacted]@sftp.acme.example/outbox', origin: 'file' },
      { path: 'providers.acme.source.recursive', value: 'true', origin: 'default' },
      { path: 'providers.acme.bucket', value: 'acme', origin: 'file' },
      { path: 'providers.acme.decryption.passphrase', value: 'env:ACME_PASS (set)', origin: 'file' },
      { path: 'providers.acme.decryption.privateKeys[0].key', value: 'file:keys/acme.asc (file exists)', origin: 'file' },
      { path: 'providers.acme.decryption.privateKeys[0].passphrase', value: 'env:GONE (NOT SET)', origin: 'file' },
      { path: 'store.region', value: 'eu-west-1', origin: 'env', env: 'AWS_REGION' },
      { path: 'env.AWS_PROFILE', value: 'prod', origin: 'env', env: 'AWS_PROFILE' },
      { path: 'env.AWS_REGION', value: 'eu-west-1', origin: 'env', env: 'AWS_REGION' },
      { path: 'env.AWS_SECRET_ACCESS_KEY', value: '[redacted] (set)', origin: 'env', env: 'AWS_SECRET_ACCESS_KEY' },
    ]);
    expect(JSON.stringify(rows)).not.toMatch(/hunter2|wJalrSECRET/);
  });

  it('should redact a literal in a secret field, whatever its name', () => {
    const rows = effectiveConfig({ api: { token: 'abc' } }, { api: { token: 'abc' } }, {}, probe);
    expect(rows).toEqual([{ path: 'api.token', value: '[redacted]', origin: 'file' }]);
  });
});
