import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanSourceHostKeys, SecretResolver, silentLogger, type SourceConfig } from '@octo/core';
import { octoFailure, SftpRemoteSource } from '@octo/core/testing';
import { startConnectProxy, type ConnectProxy } from './connect-proxy.js';
import { freePort, waitForPort } from './free-port.js';
import { ManagedProcess } from './managed-process.js';
import { startSshd, type SshdServer } from './sshd-server.js';

// How a partner's server is reached when it is not directly: an SSH jump host (a second sshd in
// front of the first), an HTTP CONNECT proxy, a SOCKS5 proxy (OpenSSH's own `ssh -D`); several
// pinned host keys; and `octo hostkey scan`'s first contact, which logs in nowhere.

let sftp: SshdServer;
let bastion: SshdServer;
let connectProxy: ConnectProxy;
let socks: ManagedProcess;
let socksPort: number;
const opened: SftpRemoteSource[] = [];
const body = 'id,amount\n1,10.00\n';

function config(overrides: Partial<SourceConfig> = {}): SourceConfig {
  return {
    url: `sftp://${sftp.user}@127.0.0.1:${sftp.port}${sftp.dropDir}`,
    recursive: true,
    minAgeSeconds: 0,
    stabilityCheckMs: 0,
    acceptUnknownHostKey: false,
    hostKey: sftp.hostKeyFingerprint,
    privateKey: `file:${sftp.userKeyFile}`,
    connectTimeoutMs: 10_000,
    readTimeoutMs: 10_000,
    connections: 1,
    resumeRetries: 1,
    ...overrides,
  };
}

const deps = () => ({ baseDir: sftp.dir, secrets: new SecretResolver(sftp.dir), logger: silentLogger });

function source(overrides: Partial<SourceConfig> = {}): SftpRemoteSource {
  const created = SftpRemoteSource.fromConfig(config(overrides), deps());
  opened.push(created);
  return created;
}

const jumpHost = (overrides: Partial<NonNullable<SourceConfig['jumpHost']>> = {}): NonNullable<SourceConfig['jumpHost']> => ({
  url: `ssh://${bastion.user}@127.0.0.1:${bastion.port}`,
  hostKey: bastion.hostKeyFingerprint,
  acceptUnknownHostKey: false,
  privateKey: `file:${bastion.userKeyFile}`,
  ...overrides,
});

beforeAll(async () => {
  [sftp, bastion, connectProxy] = await Promise.all([startSshd(), startSshd({ hostCertificate: true }), startConnectProxy()]);
  await writeFile(path.join(sftp.dropDir, 'a.csv'), body);
  socksPort = await freePort();
  // OpenSSH's dynamic forwarding through the bastion is a real SOCKS5 server.
  socks = ManagedProcess.start('ssh -D', 'ssh', [
    '-N',
    '-D',
    `127.0.0.1:${socksPort}`,
    '-i',
    bastion.userKeyFile,
    '-o',
    `UserKnownHostsFile=${bastion.knownHostsFile}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    '-p',
    String(bastion.port),
    `${bastion.user}@127.0.0.1`,
  ]);
  await waitForPort(socksPort, 20_000, () => socks.alive);
}, 60_000);

afterAll(async () => {
  for (const created of opened) await created.close();
  await socks?.stop();
  await Promise.all([sftp?.stop(), bastion?.stop(), connectProxy?.stop()]);
});

describe('SFTP through a jump host', () => {
  it('should list and read through the bastion, over one SSH session there', async () => {
    const before = (await bastion.sessionPids()).length;
    const s = source({ jumpHost: jumpHost() });
    expect((await s.list()).map((f) => f.path)).toEqual(['a.csv']);
    expect((await s.readSmall('a.csv', 1024)).toString()).toBe(body);
    expect((await bastion.sessionPids()).length).toBe(before + 1);
    // One connection reached the server, the bastion's: nothing went around it.
    expect(await sftp.sessionPids()).toHaveLength(1);
    await s.close();
  });

  it("should refuse a jump host whose host key is not the pinned one, naming both fingerprints, and reach nothing behind it", async () => {
    const wrong = sftp.hostKeyFingerprint;
    const error = await octoFailure(source({ jumpHost: jumpHost({ hostKey: wrong }) }).list());
    expect(error.kind).toBe('hostkey');
    expect(error.message).toContain(`source.jumpHost: host key mismatch for 127.0.0.1:${bastion.port}: the server presented ${bastion.hostKeyFingerprint} (ssh-ed25519) but source.hostKey pins ${wrong}`);
  });

  it('should trust a jump host through an @cert-authority line: it is reached directly, so its certificate is checked', async () => {
    const s = source({ jumpHost: jumpHost({ hostKey: undefined, knownHosts: bastion.caKnownHostsFile! }) });
    expect((await s.readSmall('a.csv', 1024)).toString()).toBe(body);
    await s.close();
  });

  it('should say when the jump host refuses the login', async () => {
    const error = await octoFailure(source({ jumpHost: jumpHost({ privateKey: `file:${bastion.otherUserKeyFile}` }) }).list());
    expect(error.kind).toBe('auth');
    expect(error.message).toBe(`the jump host ${bastion.user}@127.0.0.1:${bastion.port} refused the login of ${bastion.user}: check source.jumpHost.privateKey or source.jumpHost.password`);
  });
});

describe('SFTP through a proxy', () => {
  it('HTTP CONNECT: should reach a server only the proxy can reach, through the proxy', async () => {
    // The name resolves nowhere but in the proxy: a direct connection could not find it.
    const s = source({ url: `sftp://${sftp.user}@sftp.partner.invalid:${sftp.port}${sftp.dropDir}`, proxy: { url: `http://127.0.0.1:${connectProxy.port}` } });
    expect((await s.readSmall('a.csv', 1024)).toString()).toBe(body);
    expect(connectProxy.requests).toEqual([`sftp.partner.invalid:${sftp.port}`]);
    await s.close();
  });

  it('HTTP CONNECT: should send the proxy credentials from their secret references, as Basic auth', async () => {
    process.env['OCTO_TEST_PROXY_USER'] = 'octo';
    process.env['OCTO_TEST_PROXY_PASS'] = 'proxy pass';
    const s = source({ proxy: { url: `http://127.0.0.1:${connectProxy.port}`, username: 'env:OCTO_TEST_PROXY_USER', password: 'env:OCTO_TEST_PROXY_PASS' } });
    expect((await s.list()).map((f) => f.path)).toEqual(['a.csv']);
    expect(connectProxy.authorizations.at(-1)).toBe(`Basic ${Buffer.from('octo:proxy pass').toString('base64')}`);
    await s.close();
  });

  it('HTTP CONNECT: should report a tunnel the proxy refuses with its status line', async () => {
    const s = source({ url: `sftp://${sftp.user}@localhost:${sftp.port}${sftp.dropDir}`, proxy: { url: `http://127.0.0.1:${connectProxy.port}` } });
    const error = await octoFailure(s.list());
    expect(error.message).toContain(`cannot reach localhost:${sftp.port} through the http proxy 127.0.0.1:${connectProxy.port}: the proxy refused the tunnel: HTTP/1.1 403 Forbidden`);
  });

  it('SOCKS5: should list and read through the proxy', async () => {
    const s = source({ proxy: { url: `socks5://127.0.0.1:${socksPort}` } });
    expect((await s.readSmall('a.csv', 1024)).toString()).toBe(body);
  });

  it('SOCKS5: should name the proxy when it cannot be reached', async () => {
    const closed = await freePort();
    const error = await octoFailure(source({ proxy: { url: `socks5://127.0.0.1:${closed}` } }).list());
    expect(error.message).toContain(`through the socks5 proxy 127.0.0.1:${closed}`);
  });
});

describe('several pinned host keys', () => {
  it('should connect while either the old or the new key is the one pinned beside the server key', async () => {
    const s = source({ hostKey: [sftp.rsaHostKeyFingerprint, sftp.hostKeyFingerprint] });
    expect((await s.list()).map((f) => f.path)).toEqual(['a.csv']);
  });

  it('should refuse when none of the pinned keys is the server key, printing every fingerprint', async () => {
    const error = await octoFailure(source({ hostKey: [bastion.hostKeyFingerprint, sftp.rsaHostKeyFingerprint] }).list());
    expect(error.message).toContain(
      `the server presented ${sftp.hostKeyFingerprint} (ssh-ed25519) but source.hostKey pins ${bastion.hostKeyFingerprint}, ${sftp.rsaHostKeyFingerprint}`,
    );
  });
});

describe(scanSourceHostKeys, () => {
  it('should print every host key of the server in known_hosts form, marking the pinned one, without logging in', async () => {
    // No credentials at all: the scan hangs up before authentication.
    const scanned = await scanSourceHostKeys(config({ hostKey: sftp.rsaHostKeyFingerprint, privateKey: undefined }), deps());
    expect(scanned.keys.map((key) => [key.keyType, key.fingerprint, key.pinned])).toEqual([
      ['ssh-ed25519', sftp.hostKeyFingerprint, false],
      ['ssh-rsa', sftp.rsaHostKeyFingerprint, true],
    ]);
    const line = scanned.keys[0]!.knownHostsLine;
    const pub = await readFile(path.join(sftp.dir, 'ssh_host_ed25519_key.pub'), 'utf8');
    expect(line).toBe(`[127.0.0.1]:${sftp.port} ${pub.trim().split(/\s+/).slice(0, 2).join(' ')}`);
  });

  it('should scan through the jump host too, with nothing pinned yet', async () => {
    const scanned = await scanSourceHostKeys(config({ hostKey: undefined, jumpHost: jumpHost() }), deps());
    expect(scanned.keys.map((key) => [key.fingerprint, key.pinned])).toEqual([
      [sftp.hostKeyFingerprint, undefined],
      [sftp.rsaHostKeyFingerprint, undefined],
    ]);
  });
});
