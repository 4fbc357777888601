import sshpk from 'sshpk';
import { fingerprintOf, keyTypeOf, type KnownHostEntry } from './host-key.js';

/**
 * The host certificates a server showed before Octo connected (OpenSSH's `ssh-keyscan -c`), or
 * why none could be fetched. ssh2 never negotiates certificate host key algorithms, so the
 * certificate is fetched apart; it is public data, and it only vouches for the key the server
 * then proves in the key exchange, so fetching it over an unauthenticated channel is sound.
 */
export type HostCertificates = { readonly ok: true; readonly certificates: readonly Buffer[] } | { readonly ok: false; readonly reason: string };

/** The outcome of checking a presented key against the host's certificates: accepted (with what vouched), or why not. */
export type HostCertificateVerdict = { readonly ok: true; readonly detail: string } | { readonly ok: false; readonly reason: string };

/**
 * Accepts `presented` (the key the server proved in the key exchange) only if one of the host's
 * certificates certifies exactly that key, is a host certificate, is valid at `now`, names `host`
 * among its principals (exact match: a certificate without principals vouches for no host),
 * carries no critical option (none is defined for host certificates), and is signed (the signature checked here, not only the signer's name) by the key of one of the
 * `@cert-authority` entries that match the host and is not itself `@revoked`.
 */
export function verifyHostCertificate(
  certificates: readonly Buffer[],
  authorities: readonly KnownHostEntry[],
  revoked: readonly KnownHostEntry[],
  presented: Buffer,
  host: string,
  now: Date = new Date(),
): HostCertificateVerdict {
  const presentedFingerprint = fingerprintOf(presented);
  const parsed = certificates.flatMap((blob) => {
    try {
      // sshpk reads the OpenSSH format as a text line, `<type> <base64>`.
      return [{ blob, cert: sshpk.parseCertificate(`${keyTypeOf(blob)} ${blob.toString('base64')}`, 'openssh') }];
    } catch {
      return [];
    }
  });
  if (parsed.length === 0) return { ok: false, reason: 'the server showed no host certificate Octo can read' };
  const mine = parsed.filter(({ cert }) => fingerprintOfKey(cert.subjectKey) === presentedFingerprint);
  if (mine.length === 0) {
    const certified = parsed.map(({ cert }) => fingerprintOfKey(cert.subjectKey)).join(', ');
    return { ok: false, reason: `its certificate certifies ${certified}, not the key it presented in the key exchange` };
  }
  const reasons: string[] = [];
  for (const { blob, cert } of mine) {
    const reason = reasonToRefuse(blob, cert, authorities, revoked, host, now);
    if (reason === undefined) {
      const ca = cert.issuerKey ? fingerprintOfKey(cert.issuerKey) : '';
      return { ok: true, detail: `certificate ${cert.signatures.openssh?.keyId ?? ''} signed by CA ${ca}, valid until ${validUntil(cert)}` };
    }
    reasons.push(reason);
  }
  return { ok: false, reason: reasons.join('; ') };
}

function reasonToRefuse(blob: Buffer, cert: sshpk.Certificate, authorities: readonly KnownHostEntry[], revoked: readonly KnownHostEntry[], host: string, now: Date): string | undefined {
  const subjects = cert.subjects as ReadonlyArray<{ type?: string; hostname?: string }>;
  if (subjects.some((subject) => subject.type !== 'host')) return 'its certificate is a user certificate, not a host certificate';
  if (!cert.issuerKey) return 'its certificate names no signing CA key';
  const issuer = fingerprintOfKey(cert.issuerKey);
  const trusted = authorities.find((entry) => fingerprintOf(entry.key) === issuer);
  if (!trusted) {
    const known = [...new Set(authorities.map((entry) => fingerprintOf(entry.key)))].join(', ');
    return `its certificate is signed by CA ${issuer}, which no @cert-authority line for this host trusts (they trust ${known})`;
  }
  if (revoked.some((entry) => fingerprintOf(entry.key) === issuer)) return `its certificate is signed by CA ${issuer}, which is marked @revoked`;
  // sshpk takes the signer's key from the certificate itself and only compares it; the signature is checked here.
  if (!signatureVerifies(blob, cert, trusted.key)) return `its certificate claims CA ${issuer} but its signature does not verify with that key`;
  // Compared here: sshpk's isExpired() calls OpenSSH's "forever" (2^64 - 1 s, an invalid Date) expired.
  if (now.getTime() < cert.validFrom.getTime()) return `its certificate is not valid before ${cert.validFrom.toISOString()}`;
  if (now.getTime() >= untilMs(cert)) return `its certificate expired at ${cert.validUntil.toISOString()}`;
  // No critical option is defined for host certificates: OpenSSH refuses one that carries any, and so does Octo.
  const critical = (cert.signatures.openssh?.exts ?? []).filter((ext) => ext.critical).map((ext) => ext.name);
  if (critical.length > 0) return `its certificate carries critical options (${critical.join(', ')}), which no host certificate may have; ask the partner to reissue it without -O`;
  const principals = subjects.map((subject) => subject.hostname ?? '');
  if (!principals.some((principal) => principal.toLowerCase() === host.toLowerCase())) {
    return `its certificate is for ${principals.join(', ')}, not ${host}`;
  }
  return undefined;
}

/**
 * Checks the CA's signature over the certificate: the signed bytes are the whole blob but its last
 * field, the signature, which must be exactly what sshpk parsed.
 */
function signatureVerifies(blob: Buffer, cert: sshpk.Certificate, caKeyBlob: Buffer): boolean {
  try {
    const signature = cert.signatures.openssh?.signature as sshpk.Signature | undefined;
    if (!signature) return false;
    const field = signature.toBuffer('ssh');
    const start = blob.length - field.length;
    if (start < 4 || blob.readUInt32BE(start - 4) !== field.length || !blob.subarray(start).equals(field)) return false;
    const caKey = sshpk.parseKey(caKeyBlob, 'rfc4253');
    const hash = (signature as unknown as { hashAlgorithm?: sshpk.AlgorithmHashType }).hashAlgorithm;
    const verifier = caKey.createVerify(hash);
    verifier.update(blob.subarray(0, start - 4));
    return verifier.verify(signature);
  } catch {
    return false;
  }
}

function fingerprintOfKey(key: sshpk.Key): string {
  return fingerprintOf(key.toBuffer('rfc4253'));
}

/** The end of validity in ms; OpenSSH's "forever" is beyond what a Date holds. */
function untilMs(cert: sshpk.Certificate): number {
  const ms = cert.validUntil.getTime();
  return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
}

function validUntil(cert: sshpk.Certificate): string {
  const ms = untilMs(cert);
  return ms === Number.POSITIVE_INFINITY ? 'forever' : new Date(ms).toISOString();
}
