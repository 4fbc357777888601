import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { DecryptionConfig } from '../../config/config-schema.js';
import { OctoError } from '../../errors/octo-error.js';
import type { SecretResolver } from '../../secrets/secret-ref.js';
import { processAlive } from '../../util/process-alive.js';
import { DecryptionFailure, type KeyIdentity, type UnusableKey } from './decryption-failure.js';
import { spawnGnuPg } from './gnupg-process.js';
import { resolveMessagePassphrase, type MessagePassphrase } from './message-passphrase.js';

const execFileAsync = promisify(execFile);
const PREFIX = 'octo-gnupg-';
const OWNER_FILE = 'octo-owner';

/** Homes this process made and has not removed yet, removed on exit whatever the path out. */
const live = new Set<string>();
let exitHookInstalled = false;
function removeOnExit(dir: string): void {
  live.add(dir);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const home of live) rmSync(home, { recursive: true, force: true });
  });
}

/** One run of gpg to its end: exit code, stdout, status lines. */
async function gpgOnce(home: string, args: readonly string[], input: string | Buffer, answers: (keyword: string, args: readonly string[]) => string | undefined = () => undefined) {
  const status: { keyword: string; args: readonly string[] }[] = [];
  const run = spawnGnuPg(home, args, {
    onStatus(keyword, rest, answer) {
      status.push({ keyword, args: rest });
      if (keyword === 'GET_HIDDEN' || keyword === 'GET_LINE' || keyword === 'GET_BOOL') answer(answers(keyword, rest) ?? '');
    },
  });
  const chunks: Buffer[] = [];
  run.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  run.stdin.end(input);
  const { code } = await run.exited;
  return { code, stdout: Buffer.concat(chunks), status };
}

/** Key ids and fingerprint from `gpg --with-colons` output. */
function parseColons(text: string): { secret: boolean; publicOnly: boolean; fingerprint?: string; primary?: string; subkeys: string[]; canEncrypt: boolean } {
  let secret = false;
  let publicOnly = false;
  let fingerprint: string | undefined;
  let primary: string | undefined;
  let canEncrypt = false;
  const subkeys: string[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    const [type, , , , keyId = '', , , , , fpr = '', , capabilities = ''] = fields;
    if (type === 'sec' || type === 'pub') {
      if (type === 'sec') secret = true;
      else publicOnly = true;
      primary ??= keyId.toUpperCase();
      if (/[eE]/.test(capabilities)) canEncrypt = true;
    } else if (type === 'ssb' || type === 'sub') {
      subkeys.push(keyId.toUpperCase());
      if (/e/.test(capabilities)) canEncrypt = true;
    } else if (type === 'fpr' && !fingerprint) {
      fingerprint = fpr;
    }
  }
  return { secret, publicOnly: publicOnly && !secret, fingerprint, primary, subkeys, canEncrypt };
}

/**
 * An ephemeral GnuPG home for one provider's job: its own folder (mode 0700) and gpg-agent, the
 * provider's keys imported at start, each checked by decrypting a probe encrypted to it with its
 * passphrase; a key that fails is set aside with why and removed from the home. The agent caches
 * nothing, so every passphrase goes through `--command-fd` when gpg asks. {@link dispose} kills the
 * agent and removes the folder; a home left by a process that died is removed by the next one.
 */
export class GnuPgHome {
  private constructor(
    readonly dir: string,
    readonly identities: readonly KeyIdentity[],
    readonly unusable: readonly UnusableKey[],
    readonly passphrase: MessagePassphrase,
    private readonly keyPassphrases: ReadonlyMap<string, string>,
  ) {}

  /** The passphrase for a key id gpg asks about (primary or subkey), if one is configured. */
  passphraseFor(keyId: string | undefined): string | undefined {
    return keyId ? this.keyPassphrases.get(keyId.toUpperCase()) : undefined;
  }

  static async create(config: DecryptionConfig, secrets: SecretResolver): Promise<GnuPgHome> {
    await removeStaleHomes();
    try {
      await execFileAsync('gpg', ['--version'], { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LC_ALL: 'C' } });
    } catch {
      throw new OctoError('config', 'decryption.engine is gnupg but gpg cannot be run: install GnuPG 2.2 or later (the gnupg package), or set decryption.engine: openpgp', { fatal: true });
    }
    // In the system temp folder, short, so gpg-agent's socket path stays under its 108-byte limit.
    const dir = await mkdtemp(path.join(tmpdir(), PREFIX));
    removeOnExit(dir);
    await chmod(dir, 0o700);
    await writeFile(path.join(dir, OWNER_FILE), JSON.stringify({ pid: process.pid, host: hostname() }));
    await writeFile(path.join(dir, 'gpg-agent.conf'), 'allow-loopback-pinentry\ndefault-cache-ttl 0\nmax-cache-ttl 0\n');

    const identities: KeyIdentity[] = [];
    const unusable: UnusableKey[] = [];
    const keyPassphrases = new Map<string, string>();
    try {
      for (const [index, entry] of config.privateKeys.entries()) {
        const fail = (reason: string, keyIds: string[] = []) => unusable.push({ index, ref: entry.key, reason, keyIds });
        let text: string;
        try {
          text = await secrets.resolve(entry.key);
        } catch (error) {
          fail((error as Error).message);
          continue;
        }
        if (/BEGIN PGP PUBLIC KEY BLOCK/.test(text)) {
          fail(DecryptionFailure.reasons.publicKey);
          continue;
        }
        if (!/-----BEGIN PGP PRIVATE KEY BLOCK-----/.test(text)) {
          fail(DecryptionFailure.reasons.notArmored);
          continue;
        }
        const shown = parseColons((await gpgOnce(dir, ['--with-colons', '--import-options', 'show-only', '--import'], text)).stdout.toString('utf8'));
        if (!shown.fingerprint || !shown.primary) {
          fail(`it cannot be read as an OpenPGP private key (gpg found no key in it)`);
          continue;
        }
        if (!shown.secret) {
          fail(DecryptionFailure.reasons.publicKey);
          continue;
        }
        const ids = [shown.primary, ...shown.subkeys];
        const imported = await gpgOnce(dir, ['--import'], text);
        if (!imported.status.some((s) => s.keyword === 'IMPORT_OK')) {
          fail(`gpg could not import it${imported.status.find((s) => s.keyword === 'IMPORT_PROBLEM') ? ' (IMPORT_PROBLEM)' : ''}`, ids);
          continue;
        }
        let passphrase: string | undefined;
        if (entry.passphrase) {
          try {
            passphrase = await secrets.resolvePassphrase(entry.passphrase);
          } catch (error) {
            await forget(dir, shown.fingerprint);
            fail((error as Error).message, ids);
            continue;
          }
        }
        const problem = await probe(dir, shown.fingerprint, shown.canEncrypt, passphrase, index, entry.passphrase);
        if (problem) {
          await forget(dir, shown.fingerprint);
          fail(problem, ids);
          continue;
        }
        if (passphrase !== undefined) for (const id of ids) keyPassphrases.set(id, passphrase);
        identities.push({ primary: shown.primary, subkeys: shown.subkeys, fingerprint: shown.fingerprint.toUpperCase(), index, ...(entry.retiresAt ? { retiresAt: entry.retiresAt } : {}) });
      }
      return new GnuPgHome(dir, identities, unusable, await resolveMessagePassphrase(config, secrets), keyPassphrases);
    } catch (error) {
      await disposeDir(dir);
      throw error;
    }
  }

  /** Stops this home's gpg-agent and removes the folder and the keys in it. */
  async dispose(): Promise<void> {
    await disposeDir(this.dir);
  }
}

/**
 * Encrypts a probe to the key and decrypts it with the configured passphrase: proves at start
 * that the key loads, that gpg can use its algorithm, and that the passphrase unlocks it.
 * Returns why not, or undefined when it can be used.
 */
async function probe(dir: string, fingerprint: string, canEncrypt: boolean, passphrase: string | undefined, index: number, passphraseRef: string | undefined): Promise<string | undefined> {
  if (!canEncrypt) return DecryptionFailure.reasons.noEncryptionKey;
  const encrypted = await gpgOnce(dir, ['--trust-model', 'always', '--encrypt', '--recipient', fingerprint], 'octo key probe');
  // An expired key cannot be encrypted to, yet still decrypts old files: keep it, unprobed.
  if (encrypted.code !== 0) return undefined;
  let asked = false;
  const decrypted = await gpgOnce(dir, ['--decrypt'], encrypted.stdout, (keyword) => {
    if (keyword !== 'GET_HIDDEN') return undefined;
    asked = true;
    return passphrase ?? '';
  });
  if (decrypted.code === 0 && decrypted.stdout.toString('utf8') === 'octo key probe') return undefined;
  if (asked && passphrase === undefined) return DecryptionFailure.reasons.protectedWithoutPassphrase(index);
  const bad = decrypted.status.some((s) => s.keyword === 'ERROR' && (Number(s.args[1]) & 0xffff) === 11);
  if (bad && passphraseRef) return DecryptionFailure.reasons.wrongKeyPassphrase(passphraseRef);
  const error = decrypted.status.find((s) => s.keyword === 'ERROR');
  return `gpg cannot decrypt with it${error ? ` (${error.args.join(' ')})` : ''}`;
}

async function forget(dir: string, fingerprint: string): Promise<void> {
  await gpgOnce(dir, ['--yes', '--delete-secret-and-public-keys', fingerprint], '');
}

async function disposeDir(dir: string): Promise<void> {
  try {
    await execFileAsync('gpgconf', ['--homedir', dir, '--kill', 'gpg-agent'], { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' } });
  } catch {
    // No agent was started, or it is gone already.
  }
  await rm(dir, { recursive: true, force: true });
  live.delete(dir);
}

/** Removes homes whose owner process on this host is gone (killed before it could clean up). */
async function removeStaleHomes(): Promise<void> {
  let names: string[];
  try {
    names = (await readdir(tmpdir())).filter((name) => name.startsWith(PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const dir = path.join(tmpdir(), name);
    try {
      const owner = JSON.parse(await readFile(path.join(dir, OWNER_FILE), 'utf8')) as { pid?: number; host?: string };
      if (owner.host === hostname() && typeof owner.pid === 'number' && !processAlive(owner.pid)) await disposeDir(dir);
    } catch {
      // Not ours, or being created right now: leave it.
    }
  }
}
