import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTempWorkspace, type TempWorkspace } from '../../testing/temp-workspace.js';
import { GnuPgTestHome } from '../../testing/gnupg-test-home.js';

// A whole job on the embedded default with each engine, as `decryption.engine` selects it:
// gpg-made files, a passphrase file written by `echo`, one key that cannot load.

let gpg: GnuPgTestHome;
let partnerKey: string;
const PASS = 'partner pass';
const csv = Buffer.concat([Buffer.from('id,amount\r\n1,10.00\r\n'), randomBytes(20_000)]);
const files = new Map<string, Buffer>();
const reference = new Map<string, Buffer>();
const workspaces: TempWorkspace[] = [];

/** GnuPG homes this process owns right now (synchronous, so an event listener sees the moment it runs in). */
function ourGnuPgHomes(): string[] {
  return readdirSync(tmpdir())
    .filter((name) => name.startsWith('octo-gnupg-'))
    .filter((name) => {
      try {
        return (JSON.parse(readFileSync(path.join(tmpdir(), name, 'octo-owner'), 'utf8')) as { pid?: number }).pid === process.pid;
      } catch {
        return false;
      }
    });
}

beforeAll(async () => {
  gpg = await GnuPgTestHome.create();
  await gpg.addKey('partner@octo.invalid', 'cv25519');
  await gpg.addKey('stranger@octo.invalid', 'rsa2048');
  partnerKey = await gpg.exportSecret('partner@octo.invalid');
  files.set('camellia_20261201.csv.gpg', await gpg.encrypt(['-c', '--cipher-algo', 'CAMELLIA256'], csv, PASS));
  files.set('text_20261201.csv.gpg', await gpg.encrypt(['-e', '-r', 'partner@octo.invalid', '--textmode'], csv));
  files.set('stranger_20261201.csv.gpg', await gpg.encrypt(['-e', '-r', 'stranger@octo.invalid'], csv));
  files.set('otherpass_20261201.csv.gpg', await gpg.encrypt(['-c'], csv, 'another pass'));
  for (const name of ['camellia_20261201.csv.gpg', 'text_20261201.csv.gpg']) reference.set(name, await gpg.decrypt(files.get(name)!, PASS));
}, 120_000);

afterAll(async () => {
  await gpg?.dispose();
});

afterEach(async () => {
  await Promise.all(workspaces.splice(0).map((w) => w.cleanup()));
});

async function job(engine: 'openpgp' | 'gnupg') {
  const w = await createTempWorkspace({
    // Written the way `echo "$PASS" > pass.txt` writes it.
    secrets: { 'pass.txt': `${PASS}\n`, 'partner.asc': partnerKey, 'broken.asc': 'not a key\n' },
    providerConfig: { decryption: { engine, passphrase: 'file:pass.txt', privateKeys: [{ key: 'file:broken.asc' }, { key: 'file:partner.asc' }] } },
  });
  workspaces.push(w);
  for (const [name, bytes] of files) await writeFile(path.join(w.dropDir, name), bytes);
  const runtime = await w.runtime();
  const started = await runtime.jobs.start('plain', { concurrency: 2 });
  let homesDuringJob: string[] = [];
  started.subscribe((event) => {
    if (event.type === 'file.done' && homesDuringJob.length === 0) homesDuringJob = ourGnuPgHomes();
  });
  const summary = await started.done;
  const landed = async (key: string) => readFile(path.join(w.bucketDir, key));
  return { summary, landed, homesDuringJob: () => homesDuringJob };
}

describe('decryption.engine', () => {
  it('gnupg: should land what gpg --decrypt writes, fail only the files it cannot decrypt with their own reasons, and remove its GnuPG home at the end', async () => {
    const { summary, landed, homesDuringJob } = await job('gnupg');
    expect(summary.error).toBeUndefined();
    expect(summary.status).toBe('partial');
    expect(summary.files.map((f) => [f.path, f.status])).toEqual([
      ['camellia_20261201.csv.gpg', 'done'],
      ['otherpass_20261201.csv.gpg', 'failed'],
      ['stranger_20261201.csv.gpg', 'failed'],
      ['text_20261201.csv.gpg', 'done'],
    ]);
    expect((await landed('data/csv/plain/camellia_20261201.csv')).equals(reference.get('camellia_20261201.csv.gpg')!)).toBe(true);
    expect((await landed('data/csv/plain/text_20261201.csv')).equals(reference.get('text_20261201.csv.gpg')!)).toBe(true);
    const reasons = Object.fromEntries(summary.files.filter((f) => f.status === 'failed').map((f) => [f.path, f.status === 'failed' ? f.reason : '']));
    expect(reasons['otherpass_20261201.csv.gpg']).toContain('is encrypted with a passphrase, and decryption.passphrase (file:pass.txt) of provider plain is not the one');
    expect(reasons['stranger_20261201.csv.gpg']).toContain('decryption.privateKeys[0] (file:broken.asc) could not be loaded: it is not an armored OpenPGP private key');
    expect(homesDuringJob()).toHaveLength(1);
    expect(ourGnuPgHomes()).toEqual([]);
  });

  it('openpgp: should name the cipher it lacks and the engine that has it, and land the rest', async () => {
    const { summary, landed } = await job('openpgp');
    expect(summary.error).toBeUndefined();
    const camellia = summary.files.find((f) => f.path === 'camellia_20261201.csv.gpg');
    expect(camellia?.status === 'failed' && camellia.reason).toBe(
      "camellia_20261201.csv.gpg cannot be decrypted: unsupported: CAMELLIA256. Ask the partner to use a supported algorithm (GnuPG's default, AES256, is), or set decryption.engine: gnupg for this provider",
    );
    expect((await landed('data/csv/plain/text_20261201.csv')).equals(reference.get('text_20261201.csv.gpg')!)).toBe(true);
  });
});
