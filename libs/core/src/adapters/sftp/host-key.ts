import { createHash, createHmac } from 'node:crypto';
import { OctoError } from '../../errors/octo-error.js';
import { verifyHostCertificate, type HostCertificates } from './host-certificate.js';

/** `SHA256:<base64, unpadded>` of an SSH public key blob, as `ssh-keygen -l` prints it. */
export function fingerprintOf(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside an SSH public key blob (`ssh-ed25519`, `ecdsa-sha2-nistp256`, ...). */
export function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown';
  const length = keyBlob.readUInt32BE(0);
  return length > 0 && length < 64 && keyBlob.length >= 4 + length ? keyBlob.subarray(4, 4 + length).toString('latin1') : 'unknown';
}

/** One usable known_hosts line. */
export interface KnownHostEntry {
  readonly patterns: readonly string[];
  readonly keyType: string;
  readonly key: Buffer;
  readonly revoked: boolean;
  /** An `@cert-authority` line: the key of a CA that signs host certificates, not a host key. */
  readonly certAuthority?: boolean;
}

/**
 * Parses a known_hosts file (OpenSSH format): plain and hashed (`|1|salt|hash`) host
 * patterns, `[host]:port`, `*`/`?` wildcards and `!` negations, `@revoked` markers.
 * `@cert-authority` lines are kept, marked, and never match a host key themselves.
 */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let revoked = false;
    let certAuthority = false;
    if (fields[0]?.startsWith('@')) {
      const marker = fields.shift();
      certAuthority = marker === '@cert-authority';
      revoked = marker === '@revoked';
    }
    const [hosts, keyType, key] = fields;
    if (!hosts || !keyType || !key) continue;
    entries.push({ patterns: hosts.split(','), keyType, key: Buffer.from(key, 'base64'), revoked, ...(certAuthority ? { certAuthority } : {}) });
  }
  return entries;
}

/** The name a known_hosts file uses for a host: `host`, or `[host]:port` off port 22. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function patternMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return regex.test(name);
}

/** The entries that apply to `host:port` (a negated pattern excludes the line). */
export function entriesFor(entries: readonly KnownHostEntry[], host: string, port: number): KnownHostEntry[] {
  const name = knownHostsName(host, port);
  return entries.filter((entry) => {
    let matched = false;
    for (const pattern of entry.patterns) {
      if (pattern.startsWith('!')) {
        if (patternMatches(pattern.slice(1), name)) return false;
      } else if (patternMatches(pattern, name)) {
        matched = true;
      }
    }
    return matched;
  });
}

/** How the server's host key is checked. */
export type HostKeyPin =
  | { readonly kind: 'fingerprint'; readonly fingerprints: readonly string[] }
  | { readonly kind: 'known-hosts'; readonly file: string; readonly entries: readonly KnownHostEntry[] }
  | { readonly kind: 'accept-unknown' };

/** The outcome of checking a presented host key. */
export type HostKeyVerdict = { readonly ok: true; readonly detail?: string } | { readonly ok: false; readonly error: OctoError };

/**
 * Checks the key a server presents against the pin. Refuses a mismatch with a message that
 * names both fingerprints; `accept-unknown` lets it through (the caller logs it loudly). A key
 * that no line pins may still pass through an `@cert-authority` line, if `certificates` (fetched
 * before connecting, see hostCertificatesFor) hold a valid host certificate for exactly this key.
 */
export function verifyHostKey(pin: HostKeyPin, keyBlob: Buffer, target: { host: string; port: number }, certificates?: HostCertificates): HostKeyVerdict {
  const presented = fingerprintOf(keyBlob);
  const type = keyTypeOf(keyBlob);
  const where = `${target.host}:${target.port}`;
  const advice =
    'If the partner really changed its host key, confirm the new fingerprint with them out of band and update the pin; ' +
    'otherwise the connection may be intercepted. Nothing was downloaded.';
  if (pin.kind === 'accept-unknown') return { ok: true };
  if (pin.kind === 'fingerprint') {
    if (pin.fingerprints.some((fingerprint) => sameFingerprint(fingerprint, presented))) return { ok: true };
    return {
      ok: false,
      error: new OctoError(
        'hostkey',
        `host key mismatch for ${where}: the server presented ${presented} (${type}) but source.hostKey pins ${pin.fingerprints.join(', ')}. ${advice}`,
        { fatal: true },
      ),
    };
  }
  const entries = entriesFor(pin.entries, target.host, target.port);
  if (entries.some((entry) => entry.revoked && entry.key.equals(keyBlob))) {
    return { ok: false, error: new OctoError('hostkey', `host key ${presented} of ${where} is marked @revoked in ${pin.file}. Nothing was downloaded.`, { fatal: true }) };
  }
  const pinned = entries.filter((entry) => !entry.revoked && !entry.certAuthority);
  if (pinned.some((entry) => entry.key.equals(keyBlob))) return { ok: true };
  const authorities = entries.filter((entry) => entry.certAuthority);
  if (authorities.length > 0) {
    const vouched = certificateVerdict(pin.file, authorities, entries, keyBlob, target, certificates);
    if (vouched.ok || pinned.length === 0) return vouched;
  }
  if (pinned.length === 0) {
    return {
      ok: false,
      error: new OctoError(
        'hostkey',
        `no host key pinned for ${where}: ${pin.file} has no entry for ${knownHostsName(target.host, target.port)}. ` +
          `The server presented ${presented} (${type}); add it to the file (ssh-keyscan, then check it with the partner) or set source.hostKey. Nothing was downloaded.`,
        { fatal: true },
      ),
    };
  }
  return {
    ok: false,
    error: new OctoError(
      'hostkey',
      `host key mismatch for ${where}: the server presented ${presented} (${type}) but ${pin.file} pins ${pinned
        .map((entry) => `${fingerprintOf(entry.key)} (${entry.keyType})`)
        .join(', ')}. ${advice}`,
      { fatal: true },
    ),
  };
}

/** The verdict of the `@cert-authority` lines: the certificate checked, or why it could not be. */
function certificateVerdict(
  file: string,
  authorities: readonly KnownHostEntry[],
  entries: readonly KnownHostEntry[],
  keyBlob: Buffer,
  target: { host: string; port: number },
  certificates: HostCertificates | undefined,
): HostKeyVerdict {
  const presented = `${fingerprintOf(keyBlob)} (${keyTypeOf(keyBlob)})`;
  const name = knownHostsName(target.host, target.port);
  if (!certificates?.ok) {
    const why = certificates?.reason ?? 'the host certificate was not fetched';
    return {
      ok: false,
      error: new OctoError(
        'hostkey',
        `${file} trusts ${name} through @cert-authority lines, but ${why}. The server presented ${presented}: ` +
          'confirm it with the partner and pin it as well (octo hostkey scan prints the line). Nothing was downloaded.',
        { fatal: true },
      ),
    };
  }
  const revoked = entries.filter((entry) => entry.revoked);
  const verdict = verifyHostCertificate(certificates.certificates, authorities, revoked, keyBlob, target.host);
  if (verdict.ok) return { ok: true, detail: verdict.detail };
  return {
    ok: false,
    error: new OctoError('hostkey', `host key ${presented} of ${name} is refused: ${verdict.reason} (${file} trusts it only through @cert-authority lines). Nothing was downloaded.`, {
      fatal: true,
    }),
  };
}

function sameFingerprint(a: string, b: string): boolean {
  // ssh-keygen prints no padding; tolerate a pasted one.
  return a.replace(/=+$/, '') === b.replace(/=+$/, '');
}
