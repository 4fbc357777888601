import { OctoError } from '../../errors/octo-error.js';

/** The parts of `sftp://user@host:port/path`. */
export interface SftpTarget {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  /** Absolute folder on the server (`/` when the URL has no path). */
  readonly root: string;
}

/** Parses an SFTP source URL; a password in the URL is refused (use a secret reference). */
export function parseSftpUrl(url: string): SftpTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // No cause: Node's invalid-URL error carries the whole input, password included.
    throw new OctoError('config', `source URL "${withoutPassword(url)}" is not a valid URL: expected sftp://user@host:port/path`, { fatal: true });
  }
  if (parsed.protocol !== 'sftp:') throw new OctoError('config', `source URL "${withoutPassword(url)}" is not an sftp:// URL`, { fatal: true });
  if (parsed.password) {
    throw new OctoError('config', 'source URL contains a password: remove it and set source.password to a secret reference (env:NAME or file:PATH)', { fatal: true });
  }
  if (!parsed.username) throw new OctoError('config', `source URL sftp://${parsed.host}${parsed.pathname} names no user: expected sftp://user@host:port/path`, { fatal: true });
  if (!parsed.hostname) throw new OctoError('config', `source URL "${url}" names no host`, { fatal: true });
  const root = decodeURIComponent(parsed.pathname || '/').replace(/\/+$/, '') || '/';
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port ? Number(parsed.port) : 22,
    username: decodeURIComponent(parsed.username),
    root,
  };
}

/** The URL as it may appear in a message: a password in it (which is refused anyway) becomes `***`. */
function withoutPassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[^@]*@/i, '$1:***@');
}
