import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyHostCertificate } from './host-certificate.js';
import { fingerprintOf, parseKnownHosts, type KnownHostEntry } from './host-key.js';

const run = promisify(execFile);

// Certificates made by OpenSSH's own ssh-keygen, as a partner's CA would make them.
let dir: string;
let hostKey: Buffer;
let ca: KnownHostEntry[];
const certificate = async (name: string, args: readonly string[]): Promise<Buffer> => {
  const copy = path.join(dir, `${name}.pub`);
  await run('cp', [path.join(dir, 'host.pub'), copy]);
  await run('ssh-keygen', ['-q', '-s', path.join(dir, 'ca'), '-I', name, ...args, copy]);
  return Buffer.from((await readFile(path.join(dir, `${name}-cert.pub`), 'utf8')).split(/\s+/)[1]!, 'base64');
};
const line = async (file: string) => (await readFile(path.join(dir, `${file}.pub`), 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'octo-host-cert-'));
  for (const name of ['host', 'ca']) await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, name)]);
  hostKey = Buffer.from((await line('host')).split(' ')[1]!, 'base64');
  ca = parseKnownHosts(`@cert-authority sftp.example.com ${await line('ca')}\n`);
}, 30_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe(verifyHostCertificate, () => {
  it('should accept a host certificate of the presented key, signed by the CA, for the host', async () => {
    const cert = await certificate('good', ['-h', '-n', 'sftp.example.com']);
    expect(verifyHostCertificate([cert], ca, [], hostKey, 'SFTP.example.com')).toEqual({
      ok: true,
      detail: `certificate good signed by CA ${fingerprintOf(ca[0]!.key)}, valid until forever`,
    });
  });

  it('should refuse a certificate whose signature was tampered with, though it names the trusted CA', async () => {
    const cert = Buffer.from(await certificate('forged', ['-h', '-n', 'sftp.example.com']));
    cert.writeUInt8(cert.readUInt8(cert.length - 1) ^ 0x01, cert.length - 1);
    expect(verifyHostCertificate([cert], ca, [], hostKey, 'sftp.example.com')).toEqual({
      ok: false,
      reason: `its certificate claims CA ${fingerprintOf(ca[0]!.key)} but its signature does not verify with that key`,
    });
  });

  it('should refuse a certificate whose signed part was changed (another principal spliced in)', async () => {
    const cert = await certificate('spliced', ['-h', '-n', 'sftp.example.org']);
    const spliced = Buffer.from(cert.toString('latin1').replace('sftp.example.org', 'sftp.example.com'), 'latin1');
    expect(verifyHostCertificate([spliced], ca, [], hostKey, 'sftp.example.com')).toMatchObject({ ok: false, reason: expect.stringContaining('its signature does not verify') });
  });

  it('should refuse a host certificate that carries a critical option, as OpenSSH does', async () => {
    const cert = await certificate('forced', ['-h', '-n', 'sftp.example.com', '-O', 'force-command=/bin/true']);
    expect(verifyHostCertificate([cert], ca, [], hostKey, 'sftp.example.com')).toEqual({
      ok: false,
      reason: 'its certificate carries critical options (force-command), which no host certificate may have; ask the partner to reissue it without -O',
    });
  });

  it('should refuse a user certificate', async () => {
    const cert = await certificate('user', ['-n', 'sftp.example.com']);
    expect(verifyHostCertificate([cert], ca, [], hostKey, 'sftp.example.com')).toEqual({ ok: false, reason: 'its certificate is a user certificate, not a host certificate' });
  });

  it('should refuse a certificate not valid yet', async () => {
    const cert = await certificate('future', ['-h', '-n', 'sftp.example.com', '-V', '20990101Z:20990102Z']);
    expect(verifyHostCertificate([cert], ca, [], hostKey, 'sftp.example.com')).toEqual({ ok: false, reason: 'its certificate is not valid before 2099-01-01T00:00:00.000Z' });
  });

  it('should refuse a certificate that names no principal (OpenSSH would take it for any host)', async () => {
    const cert = await certificate('anyone', ['-h']);
    expect(verifyHostCertificate([cert], ca, [], hostKey, 'sftp.example.com')).toEqual({ ok: false, reason: 'its certificate is for *, not sftp.example.com' });
  });

  it('should refuse an expired certificate, one from another CA, one from a revoked CA, and one of another key', async () => {
    const expired = await certificate('expired', ['-h', '-n', 'sftp.example.com', '-V', '20200101Z:20200102Z']);
    expect(verifyHostCertificate([expired], ca, [], hostKey, 'sftp.example.com')).toEqual({ ok: false, reason: 'its certificate expired at 2020-01-02T00:00:00.000Z' });
    const good = await certificate('good2', ['-h', '-n', 'sftp.example.com']);
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'other')]);
    const other = parseKnownHosts(`@cert-authority * ${await line('other')}\n`);
    const caPrint = fingerprintOf(ca[0]!.key);
    expect(verifyHostCertificate([good], other, [], hostKey, 'sftp.example.com')).toEqual({
      ok: false,
      reason: `its certificate is signed by CA ${caPrint}, which no @cert-authority line for this host trusts (they trust ${fingerprintOf(other[0]!.key)})`,
    });
    const revoked = parseKnownHosts(`@revoked * ${await line('ca')}\n`);
    expect(verifyHostCertificate([good], ca, revoked, hostKey, 'sftp.example.com')).toEqual({ ok: false, reason: `its certificate is signed by CA ${caPrint}, which is marked @revoked` });
    const otherKey = other[0]!.key;
    expect(verifyHostCertificate([good], ca, [], otherKey, 'sftp.example.com')).toEqual({
      ok: false,
      reason: `its certificate certifies ${fingerprintOf(hostKey)}, not the key it presented in the key exchange`,
    });
  });

  it('should say when nothing it was given is a certificate', () => {
    expect(verifyHostCertificate([hostKey], ca, [], hostKey, 'sftp.example.com')).toEqual({ ok: false, reason: 'the server showed no host certificate Octo can read' });
  });
});
