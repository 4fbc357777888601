import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptionSchema } from '../../config/config-schema.js';
import type { ProviderContext } from '../../ports/identifiers.js';
import { silentLogger } from '../../ports/logger.js';
import type { Decryptor } from '../../ports/decryptor.js';
import { SecretResolver } from '../../secrets/secret-ref.js';
import { octoFailure as failure } from '../../testing/expect-failure.js';
import { GnuPgTestHome } from '../../testing/gnupg-test-home.js';
import { decryptAll } from '../../testing/decryptor-contract.js';
import { GnuPgDecryptor } from './gnupg-decryptor.js';
import { OpenPgpDecryptor } from './openpgp-decryptor.js';

// Every message here is made at test time by the local GnuPG 2.2 with the options partners use,
// and each engine must land exactly the bytes `gpg --decrypt` writes, or say "unsupported: <algorithm>".

const PASS = 'gnupg symmetric pass';
/** Encryption subkey kinds GnuPG 2.2 makes, each under its own ed25519 primary. */
const KEY_TYPES = ['rsa2048', 'rsa3072', 'rsa4096', 'cv25519', 'nistp256', 'nistp384', 'nistp521', 'brainpoolP256r1', 'brainpoolP384r1', 'brainpoolP512r1', 'secp256k1', 'elg2048'];
const CIPHERS = ['AES', 'AES192', 'AES256', '3DES', 'CAST5', 'BLOWFISH', 'TWOFISH', 'CAMELLIA128', 'CAMELLIA192', 'CAMELLIA256', 'IDEA'];
const email = (type: string) => `${type.toLowerCase()}@octo.invalid`;

/** Text with CRLF and lone CRs (what text mode changes), then binary bytes. */
const plaintext = Buffer.concat([Buffer.from('id,amount\r\n1,10.00\r\nlone\rcarriage return\n'), randomBytes(100_000), Buffer.from('2,20.00\r\n'.repeat(10_000))]);

interface Case {
  readonly label: string;
  readonly args: readonly string[];
  /** Per engine: the algorithm the message must be refused as unsupported for. */
  readonly unsupported?: Partial<Record<string, string>>;
  /** `gpg --decrypt` fails on it too: there are no reference bytes. */
  readonly gpgRefuses?: boolean;
}

const NO_MDC = 'encryption without integrity protection (no MDC), which Octo refuses as GnuPG does';

const OPENPGP_UNSUPPORTED_CIPHERS = new Set(['CAMELLIA128', 'CAMELLIA192', 'CAMELLIA256', 'IDEA']);
const cv = email('cv25519');
const rsa = email('rsa2048');

const cases: Case[] = [
  ...CIPHERS.map((cipher) => ({
    label: `-c --cipher-algo ${cipher}`,
    args: ['-c', '--cipher-algo', cipher],
    unsupported: OPENPGP_UNSUPPORTED_CIPHERS.has(cipher) ? { openpgp: cipher } : undefined,
  })),
  ...['none', 'ZIP', 'ZLIB', 'BZIP2'].map((z) => ({ label: `-c --compress-algo ${z}`, args: ['-c', '--compress-algo', z] })),
  { label: '-c -z 9', args: ['-c', '-z', '9'] },
  ...['0', '1', '3'].map((mode) => ({ label: `-c --s2k-mode ${mode}`, args: ['-c', '--s2k-mode', mode] })),
  ...['SHA1', 'SHA256', 'SHA512'].map((digest) => ({ label: `-c --s2k-digest-algo ${digest}`, args: ['-c', '--s2k-digest-algo', digest] })),
  { label: '-c --s2k-count 65011712', args: ['-c', '--s2k-count', '65011712'] },
  { label: '-c --s2k-cipher-algo AES128', args: ['-c', '--s2k-cipher-algo', 'AES128'] },
  ...KEY_TYPES.map((type) => ({ label: `-e to a ${type} key`, args: ['-e', '-r', email(type)] })),
  ...['ZIP', 'ZLIB', 'BZIP2', 'none'].map((z) => ({ label: `-e to cv25519 --compress-algo ${z}`, args: ['-e', '-r', cv, '--compress-algo', z] })),
  { label: '-e to rsa2048 --cipher-algo CAMELLIA256', args: ['-e', '-r', rsa, '--cipher-algo', 'CAMELLIA256'], unsupported: { openpgp: 'a session-key cipher other than AES' } },
  { label: '-e to rsa2048 --cipher-algo TWOFISH', args: ['-e', '-r', rsa, '--cipher-algo', 'TWOFISH'] },
  { label: '-c --textmode', args: ['-c', '--textmode'] },
  { label: '-c --mimemode', args: ['-c', '--mimemode'] },
  { label: '-e --textmode', args: ['-e', '-r', cv, '--textmode'] },
  { label: '-c --set-filename', args: ['-c', '--set-filename', 'renamed.csv'] },
  { label: '-c --for-your-eyes-only', args: ['-c', '--for-your-eyes-only'] },
  { label: '-c of a named file (known length, not partial)', args: ['-c', '@file'] },
  { label: '-c --armor', args: ['-c', '--armor'] },
  { label: '-e --armor to cv25519', args: ['-e', '--armor', '-r', cv] },
  { label: '-e --armor to rsa4096', args: ['-e', '--armor', '-r', email('rsa4096')] },
  { label: '-c --armor --textmode', args: ['-c', '--armor', '--textmode'] },
  { label: '-e to a key we lack and one we have', args: ['-e', '-r', 'stranger@octo.invalid', '-r', cv] },
  { label: '-e --throw-keyids (hidden recipient)', args: ['-e', '--throw-keyids', '-r', cv] },
  { label: '-c -e (passphrase and key)', args: ['-c', '-e', '-r', rsa] },
  { label: '-s -e (signed, then encrypted)', args: ['-s', '-e', '-u', cv, '-r', cv] },
  // gpg --decrypt itself refuses this (and says so), so both engines must refuse it too.
  {
    label: '--rfc2440 -c --cipher-algo CAST5 (no integrity protection)',
    args: ['--rfc2440', '-c', '--cipher-algo', 'CAST5'],
    unsupported: { openpgp: NO_MDC, gnupg: NO_MDC },
    gpgRefuses: true,
  },
];

/** A decryption engine as the matrix runs it. */
interface Engine {
  readonly name: string;
  create(decryption: unknown, secrets: SecretResolver): Decryptor;
  dispose?(decryptor: Decryptor): Promise<void>;
}

const engines: Engine[] = [
  {
    name: 'openpgp',
    create: (decryption, secrets) =>
      new OpenPgpDecryptor({ name: 'gnupg', config: { decryption: decryptionSchema.parse(decryption) } } as unknown as ProviderContext, secrets, silentLogger),
  },
  {
    name: 'gnupg',
    create: (decryption, secrets) =>
      new GnuPgDecryptor(
        { name: 'gnupg', config: { decryption: decryptionSchema.parse(decryption) }, limits: { maxUnpackedBytes: 1024 ** 3 } } as unknown as ProviderContext,
        secrets,
        silentLogger,
      ),
    dispose: (decryptor) => (decryptor as GnuPgDecryptor).close(),
  },
];

let home: GnuPgTestHome;
let keysDir: string;
const messages = new Map<string, { message: Buffer; reference: Buffer }>();

/** Encrypts with gpg and decrypts with gpg, once per case. */
async function fixture(test: Case): Promise<{ message: Buffer; reference: Buffer }> {
  const known = messages.get(test.label);
  if (known) return known;
  let message: Buffer;
  if (test.args.includes('@file')) {
    const file = path.join(keysDir, 'plain.csv');
    await writeFile(file, plaintext);
    message = await home.encrypt([...test.args.filter((a) => a !== '@file'), '--output', '-', file], Buffer.alloc(0), PASS);
  } else {
    message = await home.encrypt(test.args, plaintext, PASS);
  }
  const made = { message, reference: test.gpgRefuses ? Buffer.alloc(0) : await home.decrypt(message, PASS) };
  if (test.gpgRefuses) await expect(home.decrypt(message, PASS)).rejects.toThrow(/not integrity protected|decryption forced to fail/);
  messages.set(test.label, made);
  return made;
}

beforeAll(async () => {
  home = await GnuPgTestHome.create();
  keysDir = path.join(home.dir, 'keys');
  await mkdir(keysDir);
  for (const type of KEY_TYPES) {
    await home.addKey(email(type), type);
    await writeFile(path.join(keysDir, `${type}.asc`), await home.exportSecret(email(type)));
  }
  await home.addKey('stranger@octo.invalid', 'cv25519');
}, 180_000);

afterAll(async () => {
  await home?.dispose();
});

describe.each(engines)('the $name engine with files from GnuPG 2.2', (engine) => {
  const made: Decryptor[] = [];
  let decryptor: Decryptor;

  beforeAll(() => {
    const secrets = new SecretResolver(keysDir, { GPG_PASS: PASS, GPG_WRONG: 'not the pass' });
    decryptor = engine.create({ passphrase: 'env:GPG_PASS', privateKeys: KEY_TYPES.map((type) => ({ key: `file:${type}.asc` })) }, secrets);
    made.push(decryptor);
    wrongPass = engine.create({ passphrase: 'env:GPG_WRONG' }, secrets);
    made.push(wrongPass);
  });
  let wrongPass: Decryptor;

  afterAll(async () => {
    for (const d of made) await engine.dispose?.(d);
  });

  it.each(cases)('$label: should land what gpg --decrypt writes, or refuse it as unsupported where the case says so', async (test) => {
    const { message, reference } = await fixture(test);
    const expected = test.unsupported?.[engine.name];
    if (expected) {
      const error = await failure(decryptAll(decryptor, message, 'in.gpg'));
      expect(error.kind).toBe('decrypt');
      expect(error.message).toContain(`in.gpg cannot be decrypted: unsupported: ${expected}`);
      return;
    }
    const out = await decryptAll(decryptor, message, 'in.gpg');
    expect(out.length).toBe(reference.length);
    expect(out.equals(reference)).toBe(true);
  });

  it('should land text-mode data as gpg does on Linux (every CR dropped), not as it was sent', async () => {
    const { message, reference } = await fixture(cases.find((c) => c.label === '-c --textmode')!);
    expect(reference.includes(0x0d)).toBe(false);
    expect(reference.subarray(0, 37).toString('latin1')).toBe('id,amount\n1,10.00\nlonecarriage return');
    expect((await decryptAll(decryptor, message, 't.gpg')).equals(reference)).toBe(true);
  });

  describe('when a gpg message is wrong', () => {
    it('with another passphrase, should say the passphrase is wrong', async () => {
      const { message } = await fixture(cases.find((c) => c.label === '-c --cipher-algo AES256')!);
      const error = await failure(decryptAll(wrongPass, message, 'p.gpg'));
      expect(error.message).toBe(
        'p.gpg is encrypted with a passphrase, and decryption.passphrase (env:GPG_WRONG) of provider acme is not the one it was encrypted with: check that secret, or ask the partner which passphrase they used',
      );
    });

    it.each(['CAST5', 'BLOWFISH', 'TWOFISH'])('with another passphrase and %s, which OpenSSL has no quick check for, should still name the passphrase', async (cipher) => {
      const { message } = await fixture(cases.find((c) => c.label === `-c --cipher-algo ${cipher}`)!);
      const error = await failure(decryptAll(wrongPass, message, 'p.gpg'));
      expect(error.message).toBe(
        engine.name === 'gnupg'
          ? 'p.gpg is encrypted with a passphrase, and decryption.passphrase (env:GPG_WRONG) of provider acme is not the one it was encrypted with: check that secret, or ask the partner which passphrase they used'
          : 'p.gpg could not be decrypted with decryption.passphrase of provider acme: the passphrase is wrong, or the file was altered or cut short; check the passphrase, then ask the partner to send it again',
      );
    });

    it.each(['-c --compress-algo none', '-c --compress-algo ZLIB', '-e to cv25519 --compress-algo none'])('altered (%s), should fail its integrity check', async (label) => {
      const { message } = await fixture(cases.find((c) => c.label === label)!);
      const altered = Buffer.from(message);
      const middle = Math.floor(altered.length / 2);
      altered[middle] = (altered[middle] ?? 0) ^ 0x55;
      const error = await failure(decryptAll(decryptor, altered, 'a.gpg'));
      expect(error.message).toBe('a.gpg failed its integrity check: the file was altered or damaged after it was encrypted; ask the partner to send it again');
    });

    it.each(['-c --compress-algo none', '-c --cipher-algo AES256', '-c --armor', '-e --armor to cv25519', '-c of a named file (known length, not partial)'])('cut short (%s), should say it is truncated', async (label) => {
      const { message } = await fixture(cases.find((c) => c.label === label)!);
      const error = await failure(decryptAll(decryptor, message.subarray(0, Math.floor(message.length * 0.6)), 'cut.gpg'));
      expect(error.message).toBe(
        'cut.gpg ends before its OpenPGP message does: the file is truncated (cut in transit, or still being written when it was listed); ask the partner to send it again',
      );
    });

    it('encrypted to a key we do not have, should name it and the keys we have', async () => {
      const message = await home.encrypt(['-e', '-r', 'stranger@octo.invalid'], plaintext);
      const listing = (await home.gpg(['--with-colons', '--list-keys', 'stranger@octo.invalid'])).toString('utf8');
      const subkey = listing.split('\n').find((l) => l.startsWith('sub:'))!.split(':')[4];
      const error = await failure(decryptAll(decryptor, message, 's.gpg'));
      expect(error.message).toMatch(new RegExp(`^s\\.gpg is encrypted to key ${subkey}, but provider acme has ([0-9A-F]{16} \\(subkey [0-9A-F]{16}\\)(, )?){${KEY_TYPES.length}}: add the private key`));
    });
  });
});
