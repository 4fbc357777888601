import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SecretResolver } from '@octo/core';
import { describe, expect, it } from 'vitest';
import { BearerTokens } from './bearer-tokens.js';

const A = 'a'.repeat(20) + '-token-for-ci';
const B = 'b'.repeat(32);

describe(BearerTokens, () => {
  describe('when tokens come from env: and file: references', () => {
    it('should accept exactly the configured tokens, as Bearer credentials', async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'octo-tokens-'));
      try {
        await writeFile(path.join(dir, 'token.txt'), `${B}\n`);
        const tokens = await BearerTokens.fromRefs(['env:TOKEN_A', 'file:token.txt'], new SecretResolver(dir, { TOKEN_A: A }));
        expect(tokens.verify(`Bearer ${A}`)).toBe(true);
        expect(tokens.verify(`bearer ${B}`)).toBe(true);
        for (const header of [undefined, '', 'Bearer', `Bearer ${A.slice(0, -1)}`, `Bearer ${A}x`, `Basic ${A}`, A, `Bearer ${A} ${B}`, `Bearer  `]) {
          expect(tokens.verify(header), String(header)).toBe(false);
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });

  describe('when a reference cannot be used', () => {
    it('should fail at start, naming the reference and never the value', async () => {
      await expect(BearerTokens.fromRefs(['env:MISSING'], new SecretResolver('/', {}))).rejects.toThrow('secret env:MISSING is not set');
      const short = BearerTokens.fromRefs(['env:SHORT'], new SecretResolver('/', { SHORT: 'abc123' }));
      await expect(short).rejects.toThrow('api token env:SHORT is shorter than 16 characters');
      await expect(short).rejects.not.toThrow('abc123');
    });
  });
});
