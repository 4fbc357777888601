import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createOctoRuntime } from '../../app/octo-runtime.js';
import type { LedgerRecord } from '../../ports/ledger.js';
import type { ProviderPlugin } from '../../providers/provider-plugin.js';
import { GnuPgTestHome } from '../../testing/gnupg-test-home.js';
import { createTempWorkspace, plainProvider, type TempWorkspace } from '../../testing/temp-workspace.js';
import { recordingLogger } from '../../testing/decryptor-contract.js';

// A partner mid-rotation, with real GnuPG keys: files to the old key (past its retiresAt) and to
// the new one, signed by the allowed signer; one file with a valid signature by a key we can
// verify but that is not in decryption.allowedSigners.

let gpg: GnuPgTestHome;
const fpr: Record<string, string> = {};
const keys: Record<string, string> = {};
const csv = (name: string) => Buffer.concat([Buffer.from(`id,file\r\n1,${name}\r\n`), randomBytes(5_000)]);
const files = new Map<string, Buffer>();
const plain = new Map<string, Buffer>();
const workspaces: TempWorkspace[] = [];

beforeAll(async () => {
  gpg = await GnuPgTestHome.create();
  for (const who of ['old', 'new', 'signer', 'rogue']) {
    fpr[who] = await gpg.addKey(`${who}@octo.invalid`, 'cv25519');
  }
  keys['old.asc'] = await gpg.exportSecret('old@octo.invalid');
  keys['new.asc'] = await gpg.exportSecret('new@octo.invalid');
  keys['signers.asc'] = (await gpg.gpg(['--armor', '--export', 'signer@octo.invalid', 'rogue@octo.invalid'])).toString('utf8');
  for (const [name, to, by] of [
    ['old_20261201.csv.gpg', 'old', 'signer'],
    ['new_20261202.csv.gpg', 'new', 'signer'],
    ['rogue_20261203.csv.gpg', 'new', 'rogue'],
  ] as const) {
    const bytes = csv(name);
    plain.set(name, bytes);
    const encrypted = await gpg.encrypt(['-e', '-r', `${to}@octo.invalid`], bytes);
    files.set(name, encrypted);
    files.set(`${name}.sig`, await gpg.gpg(['--local-user', fpr[by]!, '--detach-sign'], encrypted));
  }
}, 120_000);

afterAll(async () => {
  await gpg?.dispose();
});

afterEach(async () => {
  await Promise.all(workspaces.splice(0).map((w) => w.cleanup()));
});

async function ledgerRecords(w: TempWorkspace): Promise<Map<string, LedgerRecord>> {
  const folder = path.join(w.bucketDir, '_octo', 'ledger', 'plain');
  const records = new Map<string, LedgerRecord>();
  for (const name of await readdir(folder)) {
    const record = JSON.parse(await readFile(path.join(folder, name), 'utf8')) as LedgerRecord;
    records.set(record.path, record);
  }
  return records;
}

describe.each(['openpgp', 'gnupg'] as const)('key rotation with decryption.engine %s', (engine) => {
  it('should decrypt with whichever key the file names, record that key and the signer in the ledger, report the retired key, and refuse a signer outside the allow-list', async () => {
    const w = await createTempWorkspace({
      secrets: keys,
      providerConfig: {
        decryption: {
          engine,
          privateKeys: [{ key: 'file:old.asc', retiresAt: '2026-01-01' }, { key: 'file:new.asc' }],
          signature: 'required',
          verificationKeys: ['file:signers.asc'],
          allowedSigners: [fpr['signer']!.replace(/(.{4})/g, '$1 ').trim().toLowerCase()],
        },
      },
    });
    workspaces.push(w);
    for (const [name, bytes] of files) await writeFile(path.join(w.dropDir, name), bytes);
    const logger = recordingLogger();
    const runtime = await createOctoRuntime({ loaded: w.loaded, plugins: [plainProvider as ProviderPlugin<unknown>], logger });
    const summary = await (await runtime.jobs.start('plain', { concurrency: 1 })).done;

    expect(summary.files.map((f) => [f.path, f.status])).toEqual([
      ['new_20261202.csv.gpg', 'done'],
      ['old_20261201.csv.gpg', 'done'],
      ['rogue_20261203.csv.gpg', 'failed'],
    ]);
    for (const name of ['old_20261201.csv.gpg', 'new_20261202.csv.gpg']) {
      const landed = await readFile(path.join(w.bucketDir, 'data/csv/plain', name.replace(/\.gpg$/, '')));
      expect(landed.equals(plain.get(name)!)).toBe(true);
    }

    const records = await ledgerRecords(w);
    expect([...records.keys()].sort()).toEqual(['new_20261202.csv.gpg', 'old_20261201.csv.gpg']);
    const old = records.get('old_20261201.csv.gpg')!;
    const renewed = records.get('new_20261202.csv.gpg')!;
    expect(old.provenance?.decryptedBy?.fingerprint).toBe(fpr['old']);
    expect(renewed.provenance?.decryptedBy?.fingerprint).toBe(fpr['new']);
    // The retired key is noted per file, in the ledger and in the job's result (the metrics count it there).
    expect([old.provenance?.decryptedBy?.retiredSince, renewed.provenance?.decryptedBy?.retiredSince]).toEqual(['2026-01-01', undefined]);
    expect(summary.files.map((f) => (f.status === 'done' ? f.retiredKey : 'failed'))).toEqual([undefined, fpr['old'], 'failed']);
    // The key id the message named: the encryption subkey, not the primary.
    expect(renewed.provenance?.decryptedBy?.keyId).toMatch(/^[0-9A-F]{16}$/);
    expect(fpr['new']!.endsWith(renewed.provenance!.decryptedBy!.keyId)).toBe(false);
    for (const record of [old, renewed]) {
      expect(record.provenance?.signedBy?.fingerprint).toBe(fpr['signer']);
      expect(fpr['signer']!.endsWith(record.provenance!.signedBy!.keyId)).toBe(true);
      expect(Math.abs(Date.parse(record.provenance!.signedBy!.signedAt) - Date.now())).toBeLessThan(10 * 60_000);
    }

    const rogue = summary.files.find((f) => f.path === 'rogue_20261203.csv.gpg');
    expect(rogue?.status === 'failed' && rogue.reason).toBe(
      `rogue_20261203.csv.gpg: detached signature rogue_20261203.csv.gpg.sig is a valid signature by key ${fpr['rogue']}, which is not in decryption.allowedSigners of provider plain (${fpr['signer']}): ` +
        'if the partner really signs with this key now, confirm its fingerprint with them and add it; the file was not ingested',
    );
    expect(await readdir(path.join(w.bucketDir, 'data/csv/plain'))).toEqual(['new_20261202.csv', 'old_20261201.csv']);

    const retired = logger.warnings.filter((message) => message.includes('retiresAt'));
    expect(retired).toEqual([
      `decryption.privateKeys[0] (key ${fpr['old']!.slice(-16)}, fingerprint ${fpr['old']}) of provider plain is past its retiresAt date 2026-01-01, and still decrypts: ask the partner to encrypt to the new key, then remove this one`,
    ]);
  }, 60_000);
});
