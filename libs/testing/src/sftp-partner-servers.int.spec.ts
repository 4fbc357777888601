import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretResolver, scanSourceHostKeys, type Logger, type SourceConfig } from '@octo/core';
import { fingerprintOf, octoFailure, SftpConnectionPool, SftpRemoteSource } from '@octo/core/testing';
import { writeOctoConfig } from './config-files.js';
import { runOctoCli } from './octo-cli.js';
import { startConnectProxy } from './connect-proxy.js';
import { startSshd, type SshdServer } from './sshd-server.js';

const run = promisify(execFile);

// Partners' servers as they are: one that speaks only a legacy cipher, one with MaxSessions 1,
// CA-signed host keys (valid, expired, for another name), and `octo hostkey scan` from the command line.

let legacy: SshdServer;
let single: SshdServer;
let certified: SshdServer;
let expired: SshdServer;
let elsewhere: SshdServer;
const opened: SftpRemoteSource[] = [];
const files = Array.from({ length: 6 }, (_, i) => [`f${i}.csv`, `id\n${i}\n`.repeat(2000 + i)] as const);

function recording(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug: () => undefined, info: () => undefined, warn: (message: string) => void warnings.push(message), error: () => undefined };
}

function baseConfig(sshd: SshdServer): SourceConfig {
  return {
    url: `sftp://${sshd.user}@127.0.0.1:${sshd.port}${sshd.dropDir}`,
    recursive: true,
    minAgeSeconds: 0,
    stabilityCheckMs: 0,
    acceptUnknownHostKey: false,
    hostKey: sshd.hostKeyFingerprint,
    privateKey: `file:${sshd.userKeyFile}`,
    connectTimeoutMs: 10_000,
    readTimeoutMs: 10_000,
    connections: 2,
    resumeRetries: 1,
  };
}

function source(sshd: SshdServer, overrides: Partial<SourceConfig> = {}, logger: Logger = recording()): SftpRemoteSource {
  const config: SourceConfig = { ...baseConfig(sshd), ...overrides };
  const created = SftpRemoteSource.fromConfig(config, { baseDir: sshd.dir, secrets: new SecretResolver(sshd.dir), logger });
  opened.push(created);
  return created;
}

beforeAll(async () => {
  [legacy, single, certified, expired, elsewhere] = await Promise.all([
    startSshd({ extraConfig: ['Ciphers aes256-cbc'] }),
    startSshd({ maxSessions: 1 }),
    startSshd({ hostCertificate: true }),
    startSshd({ hostCertificate: { validity: '20200101Z:20200102Z' } }),
    startSshd({ hostCertificate: { principals: 'sftp.partner.example,drop.partner.example' } }),
  ]);
  for (const [name, body] of files) await writeFile(path.join(single.dropDir, name), body);
  await writeFile(path.join(legacy.dropDir, 'old.csv'), 'id\n1\n');
}, 60_000);

afterAll(async () => {
  for (const created of opened) await created.close();
  await Promise.all([legacy?.stop(), single?.stop(), certified?.stop(), expired?.stop(), elsewhere?.stop()]);
});

describe('source.algorithms', () => {
  it("should not reach a server that speaks only a cipher outside ssh2's defaults", async () => {
    const error = await octoFailure(source(legacy).list());
    expect(error.message).toBe(
      `${legacy.user}@127.0.0.1:${legacy.port} and Octo share no SSH cipher algorithm (no matching C->S cipher): ask the partner to enable a current one, or opt in to theirs with source.algorithms.cipher (ssh -vv shows what the server offers)`,
    );
  });

  it('should reach it with the cipher opted in, and log the opt-in', async () => {
    const logger = recording();
    const s = source(legacy, { algorithms: { cipher: ['aes256-cbc'] } }, logger);
    expect((await s.readSmall('old.csv', 100)).toString()).toBe('id\n1\n');
    expect(logger.warnings).toEqual([
      `source sftp://${legacy.user}@127.0.0.1:${legacy.port}${legacy.dropDir} offers only the SSH algorithms set in source.algorithms (cipher=aes256-cbc) instead of ssh2's defaults: an opt-in for a legacy server; remove it once the partner upgrades`,
    ]);
  });
});

describe('a server with a CA-signed host key', () => {
  const onlyCa = () => ({ hostKey: undefined, knownHosts: certified.caKnownHostsFile! });
  /** A known_hosts file in `server`'s folder with these lines. */
  const knownHosts = async (server: SshdServer, name: string, lines: readonly string[]) => {
    const file = path.join(server.dir, name);
    await writeFile(file, lines.map((line) => `${line}\n`).join(''));
    return file;
  };
  const pubLine = async (keyFile: string) => (await readFile(`${keyFile}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
  const caFingerprint = async (server: SshdServer) => fingerprintOf(Buffer.from((await pubLine(path.join(server.dir, 'host_ca'))).split(' ')[1]!, 'base64'));
  const refusal = (server: SshdServer, file: string, reason: string) =>
    `host key ${server.hostKeyFingerprint} (ssh-ed25519) of [127.0.0.1]:${server.port} is refused: ${reason} (${file} trusts it only through @cert-authority lines). Nothing was downloaded.`;

  it('should connect with only the @cert-authority line, read bytes, and say in octo check what vouched for the key', async () => {
    await writeFile(path.join(certified.dropDir, 'signed.csv'), 'id\n42\n');
    const s = source(certified, onlyCa());
    expect((await s.readSmall('signed.csv', 100)).toString()).toBe('id\n42\n');
    const probe = await s.probeConnection();
    expect(probe.connect.detail).toBe(
      `host key ${certified.hostKeyFingerprint} (ssh-ed25519) is vouched for by its certificate octo-test-host signed by CA ${await caFingerprint(certified)}, valid until forever`,
    );
    expect(probe.login?.ok).toBe(true);
  });

  it('should refuse a certificate from another CA, naming both CAs', async () => {
    const otherCa = path.join(certified.dir, 'other_ca');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'other-ca', '-f', otherCa]);
    const file = await knownHosts(certified, 'known_hosts_other_ca', [`@cert-authority [127.0.0.1]:${certified.port} ${await pubLine(otherCa)}`]);
    const other = fingerprintOf(Buffer.from((await pubLine(otherCa)).split(' ')[1]!, 'base64'));
    const error = await octoFailure(source(certified, { hostKey: undefined, knownHosts: file }).list());
    expect(error.kind).toBe('hostkey');
    expect(error.message).toBe(refusal(certified, file, `its certificate is signed by CA ${await caFingerprint(certified)}, which no @cert-authority line for this host trusts (they trust ${other})`));
  });

  it('should refuse an expired certificate', async () => {
    const error = await octoFailure(source(expired, { hostKey: undefined, knownHosts: expired.caKnownHostsFile! }).list());
    expect(error.message).toBe(refusal(expired, expired.caKnownHostsFile!, 'its certificate expired at 2020-01-02T00:00:00.000Z'));
  });

  it('should refuse a certificate for another host name', async () => {
    const error = await octoFailure(source(elsewhere, { hostKey: undefined, knownHosts: elsewhere.caKnownHostsFile! }).list());
    expect(error.message).toBe(refusal(elsewhere, elsewhere.caKnownHostsFile!, 'its certificate is for sftp.partner.example, drop.partner.example, not 127.0.0.1'));
  });

  it('should refuse a host key marked @revoked even though its certificate is valid', async () => {
    const file = await knownHosts(certified, 'known_hosts_revoked', [
      ...(await readFile(certified.caKnownHostsFile!, 'utf8')).trim().split('\n'),
      `@revoked [127.0.0.1]:${certified.port} ${await pubLine(path.join(certified.dir, 'ssh_host_ed25519_key'))}`,
    ]);
    const error = await octoFailure(source(certified, { hostKey: undefined, knownHosts: file }).list());
    expect(error.message).toBe(`host key ${certified.hostKeyFingerprint} of 127.0.0.1:${certified.port} is marked @revoked in ${file}. Nothing was downloaded.`);
  });

  it('should refuse a certificate signed by a CA marked @revoked', async () => {
    const ca = await pubLine(path.join(certified.dir, 'host_ca'));
    const file = await knownHosts(certified, 'known_hosts_revoked_ca', [`@cert-authority [127.0.0.1]:${certified.port} ${ca}`, `@revoked * ${ca}`]);
    const error = await octoFailure(source(certified, { hostKey: undefined, knownHosts: file }).list());
    expect(error.message).toBe(refusal(certified, file, `its certificate is signed by CA ${await caFingerprint(certified)}, which is marked @revoked`));
  });

  it('should refuse a presented key that the certificate does not certify (the RSA key, when only the ed25519 one is signed)', async () => {
    const error = await octoFailure(source(certified, { ...onlyCa(), algorithms: { serverHostKey: ['rsa-sha2-512'] } }).list());
    expect(error.message).toBe(
      `host key ${certified.rsaHostKeyFingerprint} (ssh-rsa) of [127.0.0.1]:${certified.port} is refused: its certificate certifies ${certified.hostKeyFingerprint}, not the key it presented in the key exchange ` +
        `(${certified.caKnownHostsFile} trusts it only through @cert-authority lines). Nothing was downloaded.`,
    );
  });

  it('should refuse through a proxy, saying the check needs a direct connection and that pinning works', async () => {
    const proxy = await startConnectProxy();
    try {
      const error = await octoFailure(source(certified, { ...onlyCa(), proxy: { url: `http://127.0.0.1:${proxy.port}` } }).list());
      expect(error.message).toBe(
        `${certified.caKnownHostsFile} trusts [127.0.0.1]:${certified.port} through @cert-authority lines, but checking a host certificate needs a direct connection (ssh-keyscan cannot go through source.proxy or source.jumpHost). ` +
          `The server presented ${certified.hostKeyFingerprint} (ssh-ed25519): confirm it with the partner and pin it as well (octo hostkey scan prints the line). Nothing was downloaded.`,
      );
      expect(proxy.requests).toEqual([`127.0.0.1:${certified.port}`]);
    } finally {
      await proxy.stop();
    }
  });

  it('should refuse when ssh-keyscan is missing, and say so', async () => {
    process.env['OCTO_SSH_KEYSCAN'] = path.join(certified.dir, 'no-such-ssh-keyscan');
    try {
      const error = await octoFailure(source(certified, onlyCa()).list());
      expect(error.message).toContain(
        `trusts [127.0.0.1]:${certified.port} through @cert-authority lines, but checking a host certificate needs OpenSSH's ssh-keyscan on the PATH (apt-get install openssh-client), and it is missing. The server presented ${certified.hostKeyFingerprint} (ssh-ed25519)`,
      );
    } finally {
      delete process.env['OCTO_SSH_KEYSCAN'];
    }
  });

  it('octo hostkey scan: should mark the certified key as pinned by the @cert-authority line, and the uncertified one not', async () => {
    const config = { ...baseConfig(certified), hostKey: undefined, knownHosts: certified.caKnownHostsFile! };
    const scanned = await scanSourceHostKeys(config, { baseDir: certified.dir, secrets: new SecretResolver(certified.dir), logger: recording() });
    expect(scanned.keys.map((key) => [key.fingerprint, key.pinned])).toEqual([
      [certified.hostKeyFingerprint, true],
      [certified.rsaHostKeyFingerprint, false],
    ]);
  });

  it('should connect when the host key is pinned beside the @cert-authority line, whatever the certificate', async () => {
    const both = path.join(elsewhere.dir, 'known_hosts_both');
    await writeFile(both, (await readFile(elsewhere.caKnownHostsFile!, 'utf8')) + (await readFile(elsewhere.knownHostsFile, 'utf8')));
    expect(await source(elsewhere, { hostKey: undefined, knownHosts: both }).list()).toEqual([]);
  });
});

describe('a server with MaxSessions 1', () => {
  it('should read many files at once, one SFTP channel per connection, each byte for byte', async () => {
    const s = source(single, { connections: 2 });
    const listed = await s.list();
    // A listing promises no order (discovery sorts): compare by name.
    const names = listed.map((f) => f.path).sort();
    expect(names).toEqual(files.map(([name]) => name));
    const read = await Promise.all(names.map(async (name) => (await s.readSmall(name, 1 << 20)).toString()));
    expect(read).toEqual(files.map(([, body]) => body));
    expect((await single.sessionPids()).length).toBeLessThanOrEqual(2);
    await s.close();
  });

  it('maxOpenFiles 1 and parallelReads false: should still read every file whole, one open file per connection', async () => {
    // The previous test's sessions were closed; sshd's per-connection processes take a moment to go.
    for (const until = Date.now() + 10_000; (await single.sessionPids()).length > 0 && Date.now() < until; ) await new Promise((resolve) => setTimeout(resolve, 100));
    const s = source(single, { connections: 1, maxOpenFiles: 1, parallelReads: false });
    const read = await Promise.all(files.map(async ([name]) => (await s.readSmall(name, 1 << 20)).toString()));
    expect(read).toEqual(files.map(([, body]) => body));
    expect(await single.sessionPids()).toHaveLength(1);
    await s.close();
  });
});

describe('SftpConnectionPool with maxLeasesPerConnection', () => {
  it('should make a borrower wait while every connection has its open files, and hand the freed one on', async () => {
    const pool = new SftpConnectionPool(1, {
      host: '127.0.0.1',
      port: single.port,
      username: single.user,
      credentials: async () => ({ privateKey: await readFile(single.userKeyFile) }),
      pin: { kind: 'fingerprint', fingerprints: [single.hostKeyFingerprint] },
      connectTimeoutMs: 10_000,
      keepaliveIntervalMs: 10_000,
      logger: recording(),
      maxLeasesPerConnection: 1,
    });
    try {
      const first = await pool.acquire();
      let second: Awaited<ReturnType<typeof pool.acquire>> | undefined;
      const waiting = pool.acquire().then((lease) => (second = lease));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(second).toBeUndefined();
      first.release();
      await waiting;
      expect(second?.sftp).toBe(first.sftp);
      second?.release();
    } finally {
      await pool.close();
    }
  });
});

describe("octo check's connection probe", () => {
  it('should offer the host key types a known_hosts file pins, as the sync does (an RSA-only pin on a server that prefers ed25519)', async () => {
    const probe = await source(single, { hostKey: undefined, knownHosts: single.rsaKnownHostsFile }).probeConnection();
    expect(probe.connect).toMatchObject({ ok: true, detail: `host key ${single.rsaHostKeyFingerprint} (ssh-rsa) matches the pin` });
    expect(probe.login).toMatchObject({ ok: true, detail: `logged in as ${single.user}` });
  });

  it("should offer the source's opted-in algorithms, as the sync does", async () => {
    const probe = await source(legacy, { algorithms: { cipher: ['aes256-cbc'] } }).probeConnection();
    expect(probe.connect).toMatchObject({ ok: true, detail: `host key ${legacy.hostKeyFingerprint} (ssh-ed25519) matches the pin` });
    expect(probe.login?.ok).toBe(true);
  });
});

describe('octo hostkey scan', () => {
  it("should print the server's keys in known_hosts form with their fingerprints, marking the pinned one", async () => {
    const configPath = await writeOctoConfig(single.dir, {
      store: 'file://buckets',
      providers: { partner: { plugin: 'example', bucket: 'partner-bucket', source: { url: `sftp://${single.user}@127.0.0.1:${single.port}/drop`, hostKey: single.rsaHostKeyFingerprint, privateKey: 'env:UNSET_KEY' } } },
    });
    const run = await runOctoCli(['hostkey', 'scan', 'partner', '--config', configPath]);
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n')).toEqual([
      `# ${single.hostKeyFingerprint} (ssh-ed25519) NOT pinned`,
      expect.stringMatching(new RegExp(`^\\[127\\.0\\.0\\.1\\]:${single.port} ssh-ed25519 AAAA`)),
      `# ${single.rsaHostKeyFingerprint} (ssh-rsa) pinned`,
      expect.stringMatching(new RegExp(`^\\[127\\.0\\.0\\.1\\]:${single.port} ssh-rsa AAAA`)),
    ]);
    expect(run.stderr).toContain(`partner: 2 host key(s) of 127.0.0.1:${single.port}. Confirm a fingerprint with the partner out of band`);
  }, 60_000);
});
