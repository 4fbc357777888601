import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { OctoError } from './octo-error.js';

describe(OctoError, () => {
  describe('wrap', () => {
    it('should describe a Node system error by its code, never with the local path in its message', async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'octo-error-'));
      const raw = await readFile(path.join(dir, 'missing.csv')).catch((error: unknown) => error);
      await rm(dir, { recursive: true });
      expect((raw as Error).message).toContain(dir);
      const wrapped = OctoError.wrap('internal', raw, 'x.csv');
      expect(wrapped.message).toBe('x.csv: no such file or folder (ENOENT, open)');
      expect(wrapped.cause).toBe(raw);
    });

    it('should keep the message of any other error, and an OctoError as it is', () => {
      expect(OctoError.wrap('unpack', new Error('bad header'), 'x.tar').message).toBe('x.tar: bad header');
      const own = new OctoError('unsafe', 'refused');
      expect(OctoError.wrap('internal', own)).toBe(own);
    });
  });
});
