import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptionSchema } from '../../config/config-schema.js';
import type { ProviderContext } from '../../ports/identifiers.js';
import { SecretResolver } from '../../secrets/secret-ref.js';
import { OpenPgpDecryptor } from './openpgp-decryptor.js';

// Real GnuPG (Debian's gnupg, installed by tools/scripts/setup-test-deps.sh) makes the fixtures.
let home: string;
const gpg = (...args: string[]) =>
  execFileSync('gpg', ['--homedir', home, '--batch', '--yes', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });

const plaintext = Buffer.concat([Buffer.from('id,amount\n'), randomBytes(300_000), Buffer.from('1,2\n'.repeat(50_000))]);

beforeAll(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'octo-gnupg-'));
  gpg('--quick-gen-key', 'RSA Partner <rsa@octo.invalid>', 'rsa2048', 'encrypt,sign', 'never');
  gpg('--quick-gen-key', 'Curve Partner <cv@octo.invalid>', 'future-default', 'default', 'never');
  await writeFile(path.join(home, 'rsa.asc'), gpg('--armor', '--export-secret-keys', 'rsa@octo.invalid'));
  await writeFile(path.join(home, 'cv.asc'), gpg('--armor', '--export-secret-keys', 'cv@octo.invalid'));
  await writeFile(path.join(home, 'plain.bin'), plaintext);
}, 120_000);

afterAll(async () => {
  execFileSync('gpgconf', ['--homedir', home, '--kill', 'all']);
  await rm(home, { recursive: true, force: true });
});

function decryptor(): OpenPgpDecryptor {
  const config = decryptionSchema.parse({
    passphrase: 'env:GPG_PASS',
    privateKeys: [{ key: `file:${path.join(home, 'rsa.asc')}` }, { key: `file:${path.join(home, 'cv.asc')}` }],
  });
  return new OpenPgpDecryptor({ name: 'gnupg', config: { decryption: config } } as unknown as ProviderContext, new SecretResolver(home, { GPG_PASS: 'gnupg symmetric pass' }));
}

async function decryptFile(file: string): Promise<Buffer> {
  const result = await decryptor().decrypt(Readable.from([await readFile(file)]), {
    provider: 'gnupg',
    jobId: 'j',
    file: { path: path.basename(file), size: 0, mtimeMs: 0 },
  });
  const [out] = await Promise.all([buffer(result.stream), result.verified]);
  return out;
}

describe('OpenPgpDecryptor with files from GnuPG', () => {
  it.each([
    ['a passphrase (AES256)', ['--symmetric', '--cipher-algo', 'AES256', '--passphrase', 'gnupg symmetric pass']],
    ['an RSA key', ['--encrypt', '--recipient', 'rsa@octo.invalid', '--trust-model', 'always']],
    ['a Curve25519 key', ['--encrypt', '--recipient', 'cv@octo.invalid', '--trust-model', 'always']],
  ])('should decrypt a message encrypted with %s to the exact bytes, compressed or not, binary or armored', async (_label, how) => {
    for (const compress of ['0', '6']) {
      for (const armor of [false, true]) {
        const out = path.join(home, `out-${compress}-${armor}-${how[0]}.gpg`);
        // --passphrase must follow --passphrase '' from the helper to win, so pass it after.
        execFileSync(
          'gpg',
          ['--homedir', home, '--batch', '--yes', '--pinentry-mode', 'loopback', ...(armor ? ['--armor'] : []), '--compress-level', compress, '--output', out, ...how, path.join(home, 'plain.bin')],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        const decrypted = await decryptFile(out);
        expect(decrypted.length, `${how[0]} z${compress} armor=${armor}`).toBe(plaintext.length);
        expect(decrypted.equals(plaintext), `${how[0]} z${compress} armor=${armor}`).toBe(true);
      }
    }
  });
});
