import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretResolver, type Logger, type SourceConfig } from '@octo/core';
import { octoFailure, SftpConnectionPool, SftpRemoteSource } from '@octo/core/testing';
import { writeOctoConfig } from './config-files.js';
import { runOctoCli } from './octo-cli.js';
import { startSshd, type SshdServer } from './sshd-server.js';

// Partners' servers as they are: one that speaks only a legacy cipher, one with MaxSessions 1,
// and `octo hostkey scan` from the command line.

let legacy: SshdServer;
let single: SshdServer;
let certified: SshdServer;
const opened: SftpRemoteSource[] = [];
const files = Array.from({ length: 6 }, (_, i) => [`f${i}.csv`, `id\n${i}\n`.repeat(2000 + i)] as const);

function recording(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug: () => undefined, info: () => undefined, warn: (message: string) => void warnings.push(message), error: () => undefined };
}

function source(sshd: SshdServer, overrides: Partial<SourceConfig> = {}, logger: Logger = recording()): SftpRemoteSource {
  const config: SourceConfig = {
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
    ...overrides,
  };
  const created = SftpRemoteSource.fromConfig(config, { baseDir: sshd.dir, secrets: new SecretResolver(sshd.dir), logger });
  opened.push(created);
  return created;
}

beforeAll(async () => {
  [legacy, single, certified] = await Promise.all([
    startSshd({ extraConfig: ['Ciphers aes256-cbc'] }),
    startSshd({ maxSessions: 1 }),
    startSshd({ hostCertificate: true }),
  ]);
  for (const [name, body] of files) await writeFile(path.join(single.dropDir, name), body);
  await writeFile(path.join(legacy.dropDir, 'old.csv'), 'id\n1\n');
}, 60_000);

afterAll(async () => {
  for (const created of opened) await created.close();
  await Promise.all([legacy?.stop(), single?.stop(), certified?.stop()]);
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
  it('should refuse a host trusted only through @cert-authority, saying why and printing the key to pin', async () => {
    const error = await octoFailure(source(certified, { hostKey: undefined, knownHosts: certified.caKnownHostsFile! }).list());
    expect(error.kind).toBe('hostkey');
    expect(error.message).toBe(
      `${certified.caKnownHostsFile} trusts [127.0.0.1]:${certified.port} only through @cert-authority lines, and Octo's SSH library (ssh2) cannot check host certificates. ` +
        `The server presented ${certified.hostKeyFingerprint} (ssh-ed25519): confirm it with the partner and pin it as well (octo hostkey scan prints the line). Nothing was downloaded.`,
    );
  });

  it('should connect when the host key is pinned beside the @cert-authority line', async () => {
    const both = path.join(certified.dir, 'known_hosts_both');
    await writeFile(both, (await readFile(certified.caKnownHostsFile!, 'utf8')) + (await readFile(certified.knownHostsFile, 'utf8')));
    expect(await source(certified, { hostKey: undefined, knownHosts: both }).list()).toEqual([]);
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
