import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SecretResolver } from './secret-ref.js';

describe(SecretResolver, () => {
  it('should resolve env: and relative file: references', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'octo-secret-'));
    await writeFile(path.join(dir, 'pass.txt'), 's3cret');
    const resolver = new SecretResolver(dir, { OCTO_TEST_SECRET: 'from-env' });
    expect(await resolver.resolve('env:OCTO_TEST_SECRET')).toBe('from-env');
    expect(await resolver.resolve('file:pass.txt')).toBe('s3cret');
  });

  it('when a variable is unset, should name it without any value', async () => {
    const resolver = new SecretResolver('/', {});
    await expect(resolver.resolve('env:MISSING_ONE')).rejects.toThrow('secret env:MISSING_ONE is not set: export MISSING_ONE');
  });

  it('when a file is missing, should say which file', async () => {
    const resolver = new SecretResolver('/nonexistent-dir', {});
    await expect(resolver.resolve('file:key.asc')).rejects.toThrow('secret file:key.asc cannot be read (ENOENT): check that /nonexistent-dir/key.asc exists');
  });

  it('should refuse a literal secret', async () => {
    await expect(new SecretResolver('/', {}).resolve('hunter2')).rejects.toThrow('"hunter2" is not a secret reference');
  });
});
