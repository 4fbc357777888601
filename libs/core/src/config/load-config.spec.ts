import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findConfigFile, loadConfig, parseConfig } from './load-config.js';

const valid = `
store: file://buckets
providers:
  acme-bank:
    source: file://drop
    bucket: acme-bank-data
`;

describe(parseConfig, () => {
  it('should fill defaults', () => {
    const config = parseConfig(valid, 'octo.config.yaml');
    expect(config.concurrency).toBe(8);
    expect(config.workDir).toBe('.octo/work');
    expect(config.store.url).toBe('file://buckets');
    const provider = config.providers['acme-bank']!;
    expect(provider.source.url).toBe('file://drop');
    expect(provider.include).toEqual(['**/*']);
    expect(provider.decryption.signature).toBe('if-present');
  });

  it('when fields are wrong, should name the path of each bad field and what was expected', () => {
    const bad = `
store: ftp://nope
concurrency: 0
providers:
  Acme_Bank:
    source: file://drop
    bucket: acme
  ok-one:
    source: http://x
    bucket: Not_A_Bucket
    decryption:
      passphrase: hunter2
`;
    let message = '';
    try {
      parseConfig(bad, '/etc/octo.config.yaml');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('config /etc/octo.config.yaml is invalid:');
    expect(message).toContain('store.url: expected a URL starting with file:// or s3://');
    expect(message).toContain('concurrency:');
    expect(message).toContain('providers.Acme_Bank: provider names are kebab-case');
    expect(message).toContain('providers.ok-one.source.url: expected a URL starting with file:// or sftp://');
    expect(message).toContain('providers.ok-one.bucket: expected a bucket name');
    expect(message).toContain('providers.ok-one.decryption.passphrase: expected a secret reference such as env:NAME or file:PATH');
  });

  it('when a key is unknown, should say so instead of ignoring it', () => {
    expect(() => parseConfig(`${valid}    colour: blue\n`, 'c.yaml')).toThrow(/providers\.acme-bank: Unrecognized key: "colour"/);
  });

  it('when store is missing, should say what it is for instead of "Invalid input"', () => {
    expect(() => parseConfig('providers: {}\n', 'octo.config.yaml')).toThrow(
      'config octo.config.yaml is invalid:\n  store: required: where the buckets are, e.g. store: file://.octo/buckets (a local folder) or store: s3:// (see docs/sftp-s3.md)',
    );
  });

  it('when the YAML is broken, should say it is not valid YAML', () => {
    expect(() => parseConfig('providers: [', 'c.yaml')).toThrow('config c.yaml is not valid YAML');
  });
});

describe(findConfigFile, () => {
  it('should prefer --config, then OCTO_CONFIG, then ./octo.config.yaml', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'octo-config-'));
    await writeFile(path.join(dir, 'octo.config.yaml'), valid);
    await writeFile(path.join(dir, 'other.yaml'), valid);
    expect(findConfigFile('other.yaml', dir, {})).toBe(path.join(dir, 'other.yaml'));
    expect(findConfigFile(undefined, dir, { OCTO_CONFIG: 'other.yaml' })).toBe(path.join(dir, 'other.yaml'));
    expect(findConfigFile(undefined, dir, {})).toBe(path.join(dir, 'octo.config.yaml'));
    expect(() => findConfigFile(undefined, path.join(dir, 'nowhere'), {})).toThrow('no config file found: pass --config PATH, set OCTO_CONFIG');
    expect(() => findConfigFile('missing.yaml', dir, {})).toThrow('config file missing.yaml does not exist (from --config)');
  });

  it('should name a config outside the current folder by its whole path, not a name that another file there has', async () => {
    const elsewhere = await mkdtemp(path.join(tmpdir(), 'octo-config-elsewhere-'));
    const here = await mkdtemp(path.join(tmpdir(), 'octo-config-here-'));
    await writeFile(path.join(here, 'octo.config.yaml'), valid);
    await writeFile(path.join(elsewhere, 'octo.config.yaml'), 'store: file://b\nproviders: { acme: { source: file://d, bucket: b } }\n');
    const outside = path.join(elsewhere, 'octo.config.yaml');
    await expect(loadConfig(outside, here)).rejects.toThrow(`config ${outside} is invalid:\n  providers.acme.bucket: expected a bucket name (3 to 63`);
    await expect(loadConfig(path.join(elsewhere, 'nope.yaml'), here)).rejects.toThrow(`config file ${path.join(elsewhere, 'nope.yaml')} does not exist (from --config)`);
    await writeFile(path.join(here, 'bad.yaml'), 'store: [\n');
    await expect(loadConfig('bad.yaml', here)).rejects.toThrow('config bad.yaml is not valid YAML');
  });
});
