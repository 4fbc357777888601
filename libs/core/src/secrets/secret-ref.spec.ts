import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SecretResolver } from './secret-ref.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'octo-secret-'));
});

describe(SecretResolver, () => {
  it('should resolve env: and relative file: references', async () => {
    await writeFile(path.join(dir, 'pass.txt'), 's3cret');
    const resolver = new SecretResolver(dir, { OCTO_TEST_SECRET: 'from-env' });
    expect(await resolver.resolve('env:OCTO_TEST_SECRET')).toBe('from-env');
    expect(await resolver.resolve('file:pass.txt')).toBe('s3cret');
  });

  it('when a variable is unset, should name it without any value', async () => {
    const resolver = new SecretResolver('/', {});
    await expect(resolver.resolve('env:MISSING_ONE')).rejects.toThrow('secret env:MISSING_ONE is not set: export MISSING_ONE');
  });

  it('when a file is missing, should name the reference and no local path', async () => {
    const resolver = new SecretResolver('/nonexistent-dir', {});
    const error = await resolver.resolve('file:key.asc').catch((e: Error) => e);
    expect((error as Error).message).toBe(
      "secret file:key.asc cannot be read (ENOENT): check that the file exists (relative paths are taken from the config file's folder) and is readable by the user that runs octo",
    );
    expect((error as Error).message).not.toContain('/nonexistent-dir');
  });

  it('should refuse a literal secret', async () => {
    await expect(new SecretResolver('/', {}).resolve('hunter2')).rejects.toThrow('"hunter2" is not a secret reference');
  });

  describe('resolvePassphrase', () => {
    it.each([
      ['written with echo (LF)', 'correct horse\n'],
      ['written on Windows (CRLF)', 'correct horse\r\n'],
      ['without a newline', 'correct horse'],
      ['with more lines after the first', 'correct horse\nsecond line\n'],
    ])('should read a passphrase file %s as its first line, like gpg --passphrase-file', async (label, content) => {
      const file = `pass-${label.replace(/\W+/g, '-')}.txt`;
      await writeFile(path.join(dir, file), content);
      expect(await new SecretResolver(dir, {}).resolvePassphrase(`file:${file}`)).toBe('correct horse');
    });

    it('should keep spaces that belong to the passphrase', async () => {
      await writeFile(path.join(dir, 'spaced.txt'), ' two  spaces \n');
      expect(await new SecretResolver(dir, {}).resolvePassphrase('file:spaced.txt')).toBe(' two  spaces ');
    });

    it('should take an env: passphrase as it is', async () => {
      expect(await new SecretResolver(dir, { P: 'pass\n' }).resolvePassphrase('env:P')).toBe('pass\n');
    });

    it('when the first line is empty, should refuse it and say where a passphrase goes', async () => {
      await writeFile(path.join(dir, 'empty-first.txt'), '\npass\n');
      await expect(new SecretResolver(dir, {}).resolvePassphrase('file:empty-first.txt')).rejects.toThrow(
        'secret file:empty-first.txt starts with an empty line: a passphrase file holds the passphrase on its first line',
      );
    });

    it('should leave resolve() reading a key file whole, newlines included', async () => {
      await writeFile(path.join(dir, 'key.asc'), 'line one\nline two\n');
      expect(await new SecretResolver(dir, {}).resolve('file:key.asc')).toBe('line one\nline two\n');
    });
  });
});
