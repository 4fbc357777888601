import { createHash, createHmac } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { entriesFor, fingerprintOf, keyTypeOf, parseKnownHosts, verifyHostKey } from './host-key.js';
import { parseSftpUrl } from './sftp-url.js';

/** An SSH public key blob: string type, then key bytes. */
function blob(type: string, body: string): Buffer {
  const name = Buffer.from(type);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(name.length);
  return Buffer.concat([length, name, Buffer.from(body)]);
}

const KEY = blob('ssh-ed25519', 'server-key-bytes');
const OTHER = blob('ssh-ed25519', 'another-key-bytes');

describe(fingerprintOf, () => {
  it('should print SHA256 base64 without padding, as ssh-keygen -l does', () => {
    const expected = createHash('sha256').update(KEY).digest('base64').replace(/=+$/, '');
    expect(fingerprintOf(KEY)).toBe(`SHA256:${expected}`);
    expect(fingerprintOf(KEY)).not.toContain('=');
    expect(keyTypeOf(KEY)).toBe('ssh-ed25519');
  });
});

describe(parseKnownHosts, () => {
  const salt = Buffer.from('0123456789abcdef0123');
  const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[10.0.0.5]:2222').digest('base64')}`;
  const text = [
    '# comment',
    `sftp.example.com,[sftp.example.com]:2222 ssh-ed25519 ${KEY.toString('base64')} ops@example`,
    `${hashed} ssh-ed25519 ${KEY.toString('base64')}`,
    `*.partner.net,!evil.partner.net ssh-ed25519 ${KEY.toString('base64')}`,
    `@cert-authority *.example.com ssh-ed25519 ${OTHER.toString('base64')}`,
    `@revoked old.example.com ssh-ed25519 ${OTHER.toString('base64')}`,
    '',
  ].join('\n');
  const entries = parseKnownHosts(text);

  it('should match plain names, [host]:port, hashed names and wildcards', () => {
    // The @cert-authority line for *.example.com applies too.
    expect(entriesFor(entries, 'sftp.example.com', 22).map((entry) => Boolean(entry.certAuthority))).toEqual([false, true]);
    expect(entriesFor(entries, 'sftp.example.com', 2222)).toHaveLength(1);
    expect(entriesFor(entries, '10.0.0.5', 2222)).toHaveLength(1);
    expect(entriesFor(entries, '10.0.0.5', 22)).toHaveLength(0);
    expect(entriesFor(entries, 'drop.partner.net', 22)).toHaveLength(1);
    expect(entriesFor(entries, 'evil.partner.net', 22)).toHaveLength(0);
  });

  it('should keep @revoked lines as refusals', () => {
    expect(entries).toHaveLength(5);
    const verdict = verifyHostKey({ kind: 'known-hosts', file: 'known_hosts', entries }, OTHER, { host: 'old.example.com', port: 22 });
    expect(verdict.ok).toBe(false);
    expect(!verdict.ok && verdict.error.message).toContain('is marked @revoked in known_hosts');
  });

  it('should never let an @cert-authority key pass as a host key, and say why when no certificate was fetched', () => {
    const pin = { kind: 'known-hosts', file: 'known_hosts', entries } as const;
    expect(entries.filter((entry) => entry.certAuthority).map((entry) => entry.patterns)).toEqual([['*.example.com']]);
    const verdict = verifyHostKey(pin, OTHER, { host: 'drop.example.com', port: 22 });
    expect(!verdict.ok && verdict.error.message).toBe(
      'known_hosts trusts drop.example.com through @cert-authority lines, but the host certificate was not fetched. ' +
        `The server presented ${fingerprintOf(OTHER)} (ssh-ed25519): confirm it with the partner and pin it as well (octo hostkey scan prints the line). Nothing was downloaded.`,
    );
  });

  it('should accept the pinned key and refuse another one, naming both fingerprints', () => {
    const pin = { kind: 'known-hosts', file: 'known_hosts', entries } as const;
    expect(verifyHostKey(pin, KEY, { host: 'sftp.example.com', port: 22 }).ok).toBe(true);
    const verdict = verifyHostKey(pin, OTHER, { host: 'sftp.example.com', port: 22 });
    expect(!verdict.ok && verdict.error.kind).toBe('hostkey');
    expect(!verdict.ok && verdict.error.message).toContain(`the server presented ${fingerprintOf(OTHER)} (ssh-ed25519) but known_hosts pins ${fingerprintOf(KEY)} (ssh-ed25519)`);
  });
});

describe(verifyHostKey, () => {
  it('should accept a pasted fingerprint with padding', () => {
    const padded = `${fingerprintOf(KEY)}=`;
    expect(verifyHostKey({ kind: 'fingerprint', fingerprints: [padded] }, KEY, { host: 'h', port: 22 }).ok).toBe(true);
  });
});

describe(parseSftpUrl, () => {
  it('should read user, host, port and folder', () => {
    expect(parseSftpUrl('sftp://octo@sftp.example.com:2222/out/daily/')).toEqual({ host: 'sftp.example.com', port: 2222, username: 'octo', root: '/out/daily' });
    expect(parseSftpUrl('sftp://octo@[::1]/')).toEqual({ host: '::1', port: 22, username: 'octo', root: '/' });
  });

  it('should refuse a password in the URL and a missing user', () => {
    expect(() => parseSftpUrl('sftp://octo:hunter2@host/x')).toThrow('source URL contains a password: remove it and set source.password to a secret reference');
    expect(() => parseSftpUrl('sftp://host/x')).toThrow('names no user');
  });

  it('should not repeat a password from a URL it cannot parse', () => {
    expect(() => parseSftpUrl('sftp://octo:hunter2@host:99999/x')).toThrow('source URL "sftp://octo:***@host:99999/x" is not a valid URL');
    expect(() => parseSftpUrl('sftp://octo:pa/ss@host/x')).toThrow('source URL "sftp://octo:***@host/x" is not a valid URL');
    let error: unknown;
    try {
      parseSftpUrl('sftp://octo:hunter2@host:99999/x');
    } catch (caught) {
      error = caught;
    }
    expect(inspect(error)).not.toContain('hunter2');
  });
});
