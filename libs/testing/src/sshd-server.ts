import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort, waitForPort } from './free-port.js';
import { ManagedProcess } from './managed-process.js';
import { fingerprintOf } from '@octo/core/testing';

const run = promisify(execFile);

/** Where Debian's openssh-server puts the daemon. */
export const SSHD_PATH = process.env['OCTO_SSHD'] ?? '/usr/sbin/sshd';

/** A running OpenSSH sshd on a loopback port, with its own keys and a drop folder. */
export interface SshdServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The login user (the user running the tests). */
  readonly user: string;
  /** The server's own folder (keys, config, drop). */
  readonly dir: string;
  /** An empty folder the SFTP user can read: put test files here. */
  readonly dropDir: string;
  /** The host key's fingerprint as `ssh-keygen -l` prints it: `SHA256:...`. */
  readonly hostKeyFingerprint: string;
  /** A known_hosts file that pins this server's host key (`[127.0.0.1]:port`). */
  readonly knownHostsFile: string;
  /** The server also has an RSA host key: its fingerprint, and a known_hosts file pinning only it. */
  readonly rsaHostKeyFingerprint: string;
  readonly rsaKnownHostsFile: string;
  /** With `hostCertificate`: a known_hosts file whose only line is `@cert-authority [127.0.0.1]:port <the CA's key>`. */
  readonly caKnownHostsFile?: string;
  /** The user's private key (OpenSSH format, no passphrase); its public half is authorized. */
  readonly userKeyFile: string;
  /** A private key that is NOT authorized (for wrong-key tests). */
  readonly otherUserKeyFile: string;
  /** An authorized private key encrypted with {@link SshdServer.userKeyPassphrase}. */
  readonly protectedUserKeyFile: string;
  readonly userKeyPassphrase: string;
  /** `sftp://user@127.0.0.1:port<dropDir>` */
  readonly url: string;
  /** PIDs of the per-connection sshd processes (children of the listener). */
  sessionPids(): Promise<number[]>;
  /** Kills every per-connection process with SIGKILL: open SFTP sessions drop mid-transfer. */
  killSessions(): Promise<number>;
  /** Freezes every per-connection process (SIGSTOP, with its children): the server stops answering. Returns what to kill later. */
  freezeSessions(): Promise<number[]>;
  readonly log: () => string;
  stop(): Promise<void>;
}

/** Where {@link startSshd} keeps its files. */
export interface SshdOptions {
  /** Parent folder for the server's own folder; defaults to the OS temp dir. */
  readonly baseDir?: string;
  /** Keep the folder after stop (the dev stack keeps its drop). */
  readonly keepDir?: boolean;
  /** Use this folder instead of a fresh temp one. */
  readonly dir?: string;
  /** sshd's MaxSessions (sessions per connection; default 64). A partner's server with 1 allows one SFTP channel per connection. */
  readonly maxSessions?: number;
  /** More sshd_config lines, e.g. `Ciphers aes256-cbc` for a legacy server. */
  readonly extraConfig?: readonly string[];
  /**
   * Sign the ed25519 host key with a test CA (`ssh-keygen -s`) and serve the certificate
   * (`HostCertificate`): for principal 127.0.0.1 and forever by default, or as given.
   */
  readonly hostCertificate?: boolean | HostCertificateOptions;
  /**
   * Check passwords through PAM (`UsePAM yes`, keyboard-interactive on), as a partner's server
   * does; the server's folder is opened (0755) so another login user can read the drop. Needs root.
   */
  readonly pam?: boolean;
}

/** How the test CA signs the host certificate. */
export interface HostCertificateOptions {
  /** `ssh-keygen -n`: the principals, comma-separated (default `127.0.0.1`). */
  readonly principals?: string;
  /** `ssh-keygen -V`: the validity interval, e.g. `20200101:20200102` for one long expired. */
  readonly validity?: string;
}

/**
 * Starts Debian's OpenSSH sshd in the foreground (`-D -e -f config`) on a free loopback port,
 * with a generated host key, an authorized user key, and the internal SFTP server.
 */
export async function startSshd(options: SshdOptions = {}): Promise<SshdServer> {
  if (!existsSync(SSHD_PATH)) {
    throw new Error(`${SSHD_PATH} is missing: run tools/scripts/setup-test-deps.sh (apt-get install openssh-server)`);
  }
  const dir = options.dir ?? (await mkdtemp(path.join(options.baseDir ?? os.tmpdir(), 'octo-sshd-')));
  await mkdir(dir, { recursive: true });
  const dropDir = path.join(dir, 'drop');
  await mkdir(dropDir, { recursive: true });
  // sshd refuses to start without its privilege separation folder.
  if (process.getuid?.() === 0) await mkdir('/run/sshd', { recursive: true, mode: 0o755 }).catch(() => undefined);

  const hostKey = path.join(dir, 'ssh_host_ed25519_key');
  const rsaHostKey = path.join(dir, 'ssh_host_rsa_key');
  if (!existsSync(rsaHostKey)) await run('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-C', 'octo-test', '-f', rsaHostKey]);
  const userKey = path.join(dir, 'user_ed25519');
  const otherKey = path.join(dir, 'other_ed25519');
  const protectedKey = path.join(dir, 'protected_ed25519');
  const userKeyPassphrase = 'octo test passphrase';
  for (const key of [hostKey, userKey, otherKey]) {
    if (!existsSync(key)) await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'octo-test', '-f', key]);
  }
  if (!existsSync(protectedKey)) await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', userKeyPassphrase, '-C', 'octo-test', '-f', protectedKey]);
  const authorizedKeys = path.join(dir, 'authorized_keys');
  await writeFile(authorizedKeys, Buffer.concat([await readFile(`${userKey}.pub`), await readFile(`${protectedKey}.pub`)]), { mode: 0o600 });

  // sshd runs the session as the login user, who must reach the drop through the temp folder.
  if (options.pam) await Promise.all([chmod(dir, 0o755), chmod(dropDir, 0o755)]);
  const port = await freePort();
  const user = os.userInfo().username;
  const certificateLines: string[] = [];
  let caKnownHostsFile: string | undefined;
  if (options.hostCertificate) {
    const how = options.hostCertificate === true ? {} : options.hostCertificate;
    const caKey = path.join(dir, 'host_ca');
    if (!existsSync(caKey)) await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'octo-test-ca', '-f', caKey]);
    await run('ssh-keygen', [
      '-q',
      '-s',
      caKey,
      '-I',
      'octo-test-host',
      '-h',
      '-n',
      how.principals ?? '127.0.0.1',
      ...(how.validity ? ['-V', how.validity] : []),
      `${hostKey}.pub`,
    ]);
    certificateLines.push(`HostCertificate ${hostKey}-cert.pub`);
    const ca = (await readFile(`${caKey}.pub`, 'utf8')).trim().split(/\s+/);
    caKnownHostsFile = path.join(dir, 'known_hosts_ca');
    await writeFile(caKnownHostsFile, `@cert-authority [127.0.0.1]:${port} ${ca[0]} ${ca[1]}\n`);
  }
  const config = path.join(dir, 'sshd_config');
  await writeFile(
    config,
    [
      `ListenAddress 127.0.0.1:${port}`,
      `HostKey ${hostKey}`,
      `HostKey ${rsaHostKey}`,
      ...certificateLines,
      `PidFile none`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication yes',
      `KbdInteractiveAuthentication ${options.pam ? 'yes' : 'no'}`,
      `UsePAM ${options.pam ? 'yes' : 'no'}`,
      'PermitRootLogin yes',
      // Keys live in a temp folder whose parents sshd does not own.
      'StrictModes no',
      'MaxStartups 64',
      `MaxSessions ${options.maxSessions ?? 64}`,
      ...(options.extraConfig ?? []),
      'LogLevel ERROR',
      'Subsystem sftp internal-sftp',
      '',
    ].join('\n'),
  );

  const pin = async (keyFile: string, knownHosts: string) => {
    const pub = (await readFile(`${keyFile}.pub`, 'utf8')).trim().split(/\s+/);
    await writeFile(knownHosts, `[127.0.0.1]:${port} ${pub[0]} ${pub[1]}\n`);
    return fingerprintOf(Buffer.from(pub[1] ?? '', 'base64'));
  };
  const knownHostsFile = path.join(dir, 'known_hosts');
  const hostKeyFingerprint = await pin(hostKey, knownHostsFile);
  const rsaKnownHostsFile = path.join(dir, 'known_hosts_rsa');
  const rsaHostKeyFingerprint = await pin(rsaHostKey, rsaKnownHostsFile);

  const server = ManagedProcess.start('sshd', SSHD_PATH, ['-D', '-e', '-f', config]);
  try {
    await waitForPort(port, 20_000, () => server.alive);
  } catch (error) {
    await server.stop();
    throw new Error(`sshd did not start: ${(error as Error).message}\n${server.log}`);
  }

  const sessionPids = async (): Promise<number[]> => childPids(server.pid);
  return {
    host: '127.0.0.1',
    port,
    user,
    dir,
    dropDir,
    hostKeyFingerprint,
    knownHostsFile,
    rsaHostKeyFingerprint,
    rsaKnownHostsFile,
    ...(caKnownHostsFile ? { caKnownHostsFile } : {}),
    userKeyFile: userKey,
    otherUserKeyFile: otherKey,
    protectedUserKeyFile: protectedKey,
    userKeyPassphrase,
    url: `sftp://${user}@127.0.0.1:${port}${dropDir}`,
    sessionPids,
    killSessions: async () => {
      const pids = await sessionPids();
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // The session ended on its own.
        }
      }
      return pids.length;
    },
    freezeSessions: async () => {
      const frozen: number[] = [];
      for (const pid of await sessionPids()) {
        for (const target of [pid, ...(await childPids(pid))]) {
          try {
            process.kill(target, 'SIGSTOP');
            frozen.push(target);
          } catch {
            // Gone already.
          }
        }
      }
      return frozen;
    },
    log: () => server.log,
    stop: async () => {
      await server.stop();
      if (!options.keepDir && !options.dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Direct children of `pid`, from /proc (Linux). */
async function childPids(pid: number): Promise<number[]> {
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  const pids: number[] = [];
  for (const task of tasks) {
    const children = await readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '');
    pids.push(...children.split(/\s+/).filter(Boolean).map(Number));
  }
  return pids;
}
