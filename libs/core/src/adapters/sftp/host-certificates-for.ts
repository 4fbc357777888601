import { execFile } from 'node:child_process';
import { entriesFor, keyTypeOf, type HostKeyPin } from './host-key.js';
import type { HostCertificates } from './host-certificate.js';

/** Where the certificate is fetched from, and whether Octo reaches the host directly. */
export interface HostCertificateTarget {
  readonly host: string;
  readonly port: number;
  readonly timeoutMs: number;
  /** False when a proxy or jump host carries the connection: ssh-keyscan cannot go that way. */
  readonly direct: boolean;
}

const CERT_SUFFIX = '-cert-v01@openssh.com';

/** The OpenSSH tool that prints a server's host certificates; `OCTO_SSH_KEYSCAN` names another. */
const SSH_KEYSCAN = () => process.env['OCTO_SSH_KEYSCAN'] ?? 'ssh-keyscan';

/**
 * The host's certificates, when the pin trusts the host through `@cert-authority` lines (undefined
 * otherwise: nothing to fetch). Runs `ssh-keyscan -c` over a direct connection; through a proxy
 * or jump host, or without ssh-keyscan, it says so, and the verdict refuses the host.
 */
export async function hostCertificatesFor(pin: HostKeyPin, target: HostCertificateTarget): Promise<HostCertificates | undefined> {
  if (pin.kind !== 'known-hosts' || !entriesFor(pin.entries, target.host, target.port).some((entry) => entry.certAuthority)) return undefined;
  if (!target.direct) {
    return { ok: false, reason: 'checking a host certificate needs a direct connection (ssh-keyscan cannot go through source.proxy or source.jumpHost)' };
  }
  const seconds = Math.max(1, Math.ceil(target.timeoutMs / 1000));
  return new Promise((resolve) => {
    execFile(SSH_KEYSCAN(), ['-c', '-T', String(seconds), '-p', String(target.port), target.host], { timeout: target.timeoutMs + 2_000, windowsHide: true }, (error, stdout) => {
      if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT') {
        resolve({ ok: false, reason: 'checking a host certificate needs OpenSSH\'s ssh-keyscan on the PATH (apt-get install openssh-client), and it is missing' });
        return;
      }
      // Each line: `<type>-cert-v01@openssh.com <base64>` (with -c, no host name first); comments go to stderr.
      const certificates = stdout.split('\n').flatMap((line) => {
        const fields = line.trim().split(/\s+/);
        const at = fields.findIndex((field) => field.endsWith(CERT_SUFFIX));
        const blob = at >= 0 ? fields[at + 1] : undefined;
        return blob ? [Buffer.from(blob, 'base64')] : [];
      });
      if (certificates.length > 0) resolve({ ok: true, certificates });
      else resolve({ ok: false, reason: error ? `ssh-keyscan -c could not fetch its certificate (${error.message.split('\n')[0]})` : 'the server shows no host certificate (ssh-keyscan -c found none)' });
    });
  });
}

/** The plain host key types of the certificates (`ssh-ed25519` for `ssh-ed25519-cert-v01@openssh.com`), to ask the server for. */
export function certifiedKeyTypes(certificates: HostCertificates | undefined): string[] {
  if (!certificates?.ok) return [];
  return certificates.certificates.flatMap((blob) => {
    const type = keyTypeOf(blob);
    return type.endsWith(CERT_SUFFIX) ? [type.slice(0, -CERT_SUFFIX.length)] : [];
  });
}
