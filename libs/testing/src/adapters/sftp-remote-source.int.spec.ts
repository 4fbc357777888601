import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile, truncate, utimes, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretResolver, type SourceConfig } from '@octo/core';
import { discover, MAX_CONNECT_ATTEMPTS, octoFailure, sha256, SftpRemoteSource, silentLogger } from '@octo/core/testing';
import { freePort } from '../free-port.js';
import { keystreamBytes, writeKeystreamFile } from '../keystream-file.js';
import { startSilentServer } from '../silent-server.js';
import { startSshd, type SshdServer } from '../sshd-server.js';

describe(SftpRemoteSource, () => {
  let sshd: SshdServer;
  const opened: SftpRemoteSource[] = [];

  /** A source on the test server; `overrides` replace the config fields. */
  function source(overrides: Partial<SourceConfig> = {}, extra: { dir?: string; chunkBytes?: number } = {}): SftpRemoteSource {
    const config: SourceConfig = {
      url: `sftp://${sshd.user}@127.0.0.1:${sshd.port}${extra.dir ?? sshd.dropDir}`,
      recursive: true,
      minAgeSeconds: 0,
      stabilityCheckMs: 0,
      acceptUnknownHostKey: false,
      hostKey: sshd.hostKeyFingerprint,
      privateKey: `file:${sshd.userKeyFile}`,
      connectTimeoutMs: 10_000,
      readTimeoutMs: 10_000,
      connections: 2,
      resumeRetries: 5,
      ...overrides,
    };
    const created = SftpRemoteSource.fromConfig(config, { baseDir: sshd.dir, secrets: new SecretResolver(sshd.dir), logger: silentLogger });
    opened.push(created);
    return created;
  }

  beforeAll(async () => {
    sshd = await startSshd();
    const drop = sshd.dropDir;
    await mkdir(path.join(drop, 'in', 'deep'), { recursive: true });
    await writeFile(path.join(drop, 'a.csv'), 'id,name\n1,alpha\n');
    await writeFile(path.join(drop, 'a.csv.sig'), 'signature bytes');
    await writeFile(path.join(drop, 'in', 'b.txt'), 'bee\n');
    await writeFile(path.join(drop, 'in', 'deep', 'c.bin'), keystreamBytes(3 * 1024 * 1024 + 17, 'c'));
    await writeFile(path.join(drop, 'orphan.sig'), 'no data file');
    const old = new Date(Date.now() - 3_600_000);
    for (const name of ['a.csv', 'a.csv.sig', 'in/b.txt', 'in/deep/c.bin', 'orphan.sig']) await utimes(path.join(drop, name), old, old);
    await writeFile(path.join(drop, 'fresh.csv'), 'just written\n');
  });

  afterAll(async () => {
    for (const created of opened) await created.close();
    await sshd?.stop();
  });

  describe('when the host key is pinned by fingerprint', () => {
    it('should list recursively, pair .sig files and keep them out of the data', async () => {
      const files = await discover(source());
      expect(files.map((file) => file.path)).toEqual(['a.csv', 'fresh.csv', 'in/b.txt', 'in/deep/c.bin']);
      expect(files.find((file) => file.path === 'a.csv')).toMatchObject({ size: 16, signaturePath: 'a.csv.sig' });
      expect(files.find((file) => file.path === 'in/deep/c.bin')?.size).toBe(3 * 1024 * 1024 + 17);
    });

    it('should leave files younger than the minimum age for the next run', async () => {
      const files = await discover(source(), { minAgeMs: 60_000 });
      expect(files.map((file) => file.path)).toEqual(['a.csv', 'in/b.txt', 'in/deep/c.bin']);
    });

    it('should list only the top folder when not recursive', async () => {
      const files = await discover(source({ recursive: false }));
      expect(files.map((file) => file.path)).toEqual(['a.csv', 'fresh.csv']);
    });

    it('should stream a file byte-identical with pipelined reads, from an offset too', async () => {
      const src = source();
      const [, , , big] = await discover(src);
      const expected = await readFile(path.join(sshd.dropDir, 'in', 'deep', 'c.bin'));
      const whole = await buffer(await src.open(big!));
      expect(whole.length).toBe(expected.length);
      expect(sha256(whole)).toBe(sha256(expected));
      const tail = await buffer(await src.open(big!, { offset: 1_000_000 }));
      expect(sha256(tail)).toBe(sha256(expected.subarray(1_000_000)));
    });

    it('should read a detached signature whole, and refuse one over the limit', async () => {
      const src = source();
      expect((await src.readSmall('a.csv.sig', 1024)).toString()).toBe('signature bytes');
      const error = await octoFailure(src.readSmall('a.csv.sig', 4));
      expect(error.message).toContain('a.csv.sig is 15 bytes, more than the 4 expected');
    });

    it('should fail a file that is shorter than listed, naming both sizes', async () => {
      const file = path.join(sshd.dropDir, 'shrinks.bin');
      await writeFile(file, keystreamBytes(200_000, 'shrink'));
      const src = source();
      const listed = (await discover(src)).find((entry) => entry.path === 'shrinks.bin')!;
      await truncate(file, 100_000);
      const error = await octoFailure(buffer(await src.open(listed)));
      expect(error.kind).toBe('source');
      expect(error.message).toMatch(/shrinks\.bin: the server ended the file at byte \d+ but listed 200000 bytes/);
    });

    it('should fail a file that grew after the listing rather than cut it at the listed size', async () => {
      const file = path.join(sshd.dropDir, 'grows.bin');
      await writeFile(file, keystreamBytes(100_000, 'grow'));
      const src = source();
      const listed = (await discover(src)).find((entry) => entry.path === 'grows.bin')!;
      await appendFile(file, keystreamBytes(5_000, 'more'));
      const error = await octoFailure(buffer(await src.open(listed)));
      expect(error.message).toContain('grows.bin: the file is longer than the 100000 bytes listed');
    });
  });

  describe('when names on the server are not valid UTF-8', () => {
    /** A path in the test drop whose parts are raw bytes, given as `latin1` strings (one char per byte). */
    const raw = (...latin1Parts: string[]) => Buffer.concat([Buffer.from(sshd.dropDir), ...latin1Parts.flatMap((part) => [Buffer.from('/'), Buffer.from(part, 'latin1')])]);

    beforeAll(async () => {
      await mkdir(raw('latin1', 'd\xe9p\xf4t'), { recursive: true });
      await writeFile(raw('latin1', 'd\xe9p\xf4t', 'r\xe9sum\xe9.csv'), 'latin-1 name\n');
      await writeFile(raw('latin1', 'd\xe9p\xf4t', 'r\xe9sum\xe9.csv.sig'), 'sig bytes');
      await writeFile(raw('latin1', 'a\xe9.csv'), 'e acute\n');
      await writeFile(raw('latin1', 'a\xe8.csv'), 'e grave\n');
      await writeFile(raw('latin1', 'caf\xe9.csv'), 'latin-1 twin\n');
      await writeFile(path.join(sshd.dropDir, 'latin1', 'café.csv'), 'utf-8 twin\n');
    });

    it('should list them by their Windows-1252 reading with their bytes kept, keep near twins apart, and refuse a name that reads like a UTF-8 one', async () => {
      const files = await discover(source({}, { dir: path.join(sshd.dropDir, 'latin1') }));
      expect(files.map(({ path: p, rawPath, signaturePath, signatureRawPath, refused }) => ({ path: p, rawPath, signaturePath, signatureRawPath, refused }))).toEqual([
        { path: 'aè.csv', rawPath: 'a%E8.csv' },
        { path: 'aé.csv', rawPath: 'a%E9.csv' },
        { path: 'café.csv' },
        {
          path: 'café.csv',
          rawPath: 'caf%E9.csv',
          refused:
            'its name is not UTF-8 (bytes caf%E9.csv) and reads as "café.csv" in Windows-1252, the same as another file in the drop; ask the provider to rename one of them',
        },
        { path: 'dépôt/résumé.csv', rawPath: 'd%E9p%F4t/r%E9sum%E9.csv', signaturePath: 'dépôt/résumé.csv.sig', signatureRawPath: 'd%E9p%F4t/r%E9sum%E9.csv.sig' },
      ].map((file) => ({ rawPath: undefined, signaturePath: undefined, signatureRawPath: undefined, refused: undefined, ...file })));
    });

    it('should open a file and read its signature by their bytes', async () => {
      const src = source({}, { dir: path.join(sshd.dropDir, 'latin1') });
      const files = await discover(src);
      const resume = files.find((file) => file.path === 'dépôt/résumé.csv')!;
      expect((await buffer(await src.open(resume))).toString()).toBe('latin-1 name\n');
      expect((await buffer(await src.open(files.find((file) => file.path === 'aé.csv')!))).toString()).toBe('e acute\n');
      expect((await src.readSmall(resume.signaturePath!, 1024, resume.signatureRawPath)).toString()).toBe('sig bytes');
    });

    it('should keep reading other files on the same connection while listing by bytes', async () => {
      const src = source({ connections: 1 });
      const [listing, big] = await Promise.all([src.list(), src.list().then((all) => src.open(all.find((file) => file.path === 'in/deep/c.bin')!)).then((stream) => buffer(stream))]);
      expect(listing.some((file) => file.path === 'latin1/dépôt/résumé.csv')).toBe(true);
      expect(sha256(big)).toBe(sha256(await readFile(path.join(sshd.dropDir, 'in', 'deep', 'c.bin'))));
    });
  });

  describe('when the host key is pinned by a known_hosts file', () => {
    it('should connect when the file holds the key', async () => {
      const files = await source({ hostKey: undefined, knownHosts: sshd.knownHostsFile }).list();
      expect(files.length).toBeGreaterThan(0);
    });

    it('should ask a server with several host keys for the pinned type (RSA, with SHA-2 signatures)', async () => {
      expect(sshd.rsaHostKeyFingerprint).not.toBe(sshd.hostKeyFingerprint);
      const files = await source({ hostKey: undefined, knownHosts: sshd.rsaKnownHostsFile }).list();
      expect(files.length).toBeGreaterThan(0);
      // Pinned by fingerprint, the RSA key is not what the server shows first: refused, naming the ed25519 one.
      const error = await octoFailure(source({ hostKey: sshd.rsaHostKeyFingerprint }).list());
      expect(error.message).toContain(`the server presented ${sshd.hostKeyFingerprint} (ssh-ed25519)`);
    });

    it('should refuse a known_hosts file with another key for this host, naming both fingerprints', async () => {
      const other = (await readFile(`${sshd.otherUserKeyFile}.pub`, 'utf8')).trim().split(/\s+/);
      const file = path.join(sshd.dir, 'known_hosts_wrong');
      await writeFile(file, `# rotated\n[127.0.0.1]:${sshd.port} ${other[0]} ${other[1]}\n`);
      const error = await octoFailure(source({ hostKey: undefined, knownHosts: file }).list());
      expect(error.kind).toBe('hostkey');
      expect(error.fatal).toBe(true);
      expect(error.message).toContain(`host key mismatch for 127.0.0.1:${sshd.port}: the server presented ${sshd.hostKeyFingerprint}`);
      expect(error.message).toContain('Nothing was downloaded');
    });

    it('should refuse a known_hosts file without an entry for this host', async () => {
      const file = path.join(sshd.dir, 'known_hosts_other_host');
      const pub = (await readFile(path.join(sshd.dir, 'ssh_host_ed25519_key.pub'), 'utf8')).trim().split(/\s+/);
      await writeFile(file, `[127.0.0.1]:1 ${pub[0]} ${pub[1]}\n`);
      const error = await octoFailure(source({ hostKey: undefined, knownHosts: file }).list());
      expect(error.kind).toBe('hostkey');
      expect(error.message).toContain(`has no entry for [127.0.0.1]:${sshd.port}`);
      expect(error.message).toContain(sshd.hostKeyFingerprint);
    });
  });

  describe('when the host key does not match the pin', () => {
    it('should refuse to connect, naming the presented and the pinned fingerprint', async () => {
      const wrong = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
      const error = await octoFailure(source({ hostKey: wrong }).list());
      expect(error.kind).toBe('hostkey');
      expect(error.fatal).toBe(true);
      expect(error.message).toBe(
        `host key mismatch for 127.0.0.1:${sshd.port}: the server presented ${sshd.hostKeyFingerprint} (ssh-ed25519) but source.hostKey pins ${wrong}. ` +
          'If the partner really changed its host key, confirm the new fingerprint with them out of band and update the pin; otherwise the connection may be intercepted. Nothing was downloaded.',
      );
    });
  });

  describe('when nothing pins the host key', () => {
    it('should refuse before connecting and explain how to pin', async () => {
      const error = await octoFailure(source({ hostKey: undefined }).list());
      expect(error.kind).toBe('hostkey');
      expect(error.fatal).toBe(true);
      expect(error.message).toContain('no host key pinned for sftp://');
      expect(error.message).toContain('set source.hostKey');
      expect(error.message).toContain('acceptUnknownHostKey');
    });

    it('should connect with acceptUnknownHostKey and warn loudly with the fingerprint to pin', async () => {
      const warnings: string[] = [];
      const onWarning = (warning: Error) => warnings.push(warning.message);
      process.on('warning', onWarning);
      try {
        const files = await source({ hostKey: undefined, acceptUnknownHostKey: true }).list();
        expect(files.length).toBeGreaterThan(0);
        await new Promise((resolve) => setImmediate(resolve));
      } finally {
        process.off('warning', onWarning);
      }
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`UNPINNED SSH HOST KEY accepted for 127.0.0.1:${sshd.port}`);
      expect(warnings[0]).toContain(sshd.hostKeyFingerprint);
    });
  });

  describe('when the private key is protected by a passphrase', () => {
    it('should log in with the passphrase, and refuse a wrong one with a fatal auth error', async () => {
      process.env['OCTO_TEST_KEY_PASSPHRASE'] = sshd.userKeyPassphrase;
      process.env['OCTO_TEST_BAD_PASSPHRASE'] = 'not it';
      const good = source({ privateKey: `file:${sshd.protectedUserKeyFile}`, privateKeyPassphrase: 'env:OCTO_TEST_KEY_PASSPHRASE' });
      expect((await good.list()).length).toBeGreaterThan(0);
      const error = await octoFailure(source({ privateKey: `file:${sshd.protectedUserKeyFile}`, privateKeyPassphrase: 'env:OCTO_TEST_BAD_PASSPHRASE' }).list());
      expect(error.kind).toBe('auth');
      expect(error.fatal).toBe(true);
      expect(error.message).toMatch(new RegExp(`^cannot use the private key for ${sshd.user}@127\\.0\\.0\\.1:${sshd.port}: .+\\. Check source\\.privateKey and source\\.privateKeyPassphrase$`));
    });
  });

  describe('when the server accepts TCP but never speaks SSH', () => {
    it('should give up after connectTimeoutMs with a message that names the target', async () => {
      const sockets = new Set<net.Socket>();
      const silent = net.createServer((socket) => sockets.add(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const port = (silent.address() as net.AddressInfo).port;
      try {
        const src = source({ url: `sftp://octo@127.0.0.1:${port}/drop`, connectTimeoutMs: 500, readTimeoutMs: 1_000, connections: 1, resumeRetries: 0 });
        const started = Date.now();
        const error = await octoFailure(src.list());
        expect(Date.now() - started).toBeLessThan(5_000);
        expect(error.kind).toBe('source');
        expect(error.message).toMatch(new RegExp(`^no SSH handshake with octo@127\\.0\\.0\\.1:${port} within 500 ms: check the host, the port and the firewall \\(1 attempt over 0\\.[5-9] s\\)$`));
      } finally {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => silent.close(resolve));
      }
    });
  });

  describe('when the server never answers and retries are allowed', () => {
    it(`should stop after ${MAX_CONNECT_ATTEMPTS} connect attempts and say how many and how long, not just the per-attempt timeout`, async () => {
      const silent = await startSilentServer();
      try {
        const src = source({ url: `sftp://octo@127.0.0.1:${silent.port}/drop`, connectTimeoutMs: 1_000, connections: 1, resumeRetries: 5 });
        const started = Date.now();
        const error = await octoFailure(src.list());
        const elapsed = Date.now() - started;
        expect(silent.connections()).toBe(MAX_CONNECT_ATTEMPTS);
        expect(elapsed).toBeGreaterThanOrEqual(2_000);
        expect(elapsed).toBeLessThan(5_000);
        expect(error.kind).toBe('source');
        expect(error.message).toMatch(new RegExp(`^no SSH handshake with octo@127\\.0\\.0\\.1:${silent.port} within 1000 ms: check the host, the port and the firewall \\(2 attempts over [2-4]\\.\\d s\\)$`));
      } finally {
        await silent.stop();
      }
    });

    it('should say a refused connection was tried again, and give up within a second', async () => {
      const port = await freePort();
      const src = source({ url: `sftp://octo@127.0.0.1:${port}/drop`, connections: 1, resumeRetries: 5 });
      const started = Date.now();
      const error = await octoFailure(src.list());
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(error.message).toMatch(new RegExp(`^octo@127\\.0\\.0\\.1:${port} refused the connection: check the host and port, and that the SFTP server runs \\(2 attempts over 0\\.\\d s\\)$`));
    });
  });

  describe('when the credentials are wrong', () => {
    it('should fail with a fatal auth error for a key the server does not authorize', async () => {
      const error = await octoFailure(source({ privateKey: `file:${sshd.otherUserKeyFile}` }).list());
      expect(error.kind).toBe('auth');
      expect(error.fatal).toBe(true);
      expect(error.message).toBe(
        `authentication failed for ${sshd.user}@127.0.0.1:${sshd.port}: the server refused the private key. Check source.privateKey / source.password (and the key's passphrase), and that the key is authorized for this user`,
      );
    });

    it('should fail with a fatal auth error for a wrong password, and not try again for the next file', async () => {
      process.env['OCTO_TEST_WRONG_PASSWORD'] = 'not-the-password';
      const src = source({ privateKey: undefined, password: 'env:OCTO_TEST_WRONG_PASSWORD' });
      const first = await octoFailure(src.list());
      expect(first.kind).toBe('auth');
      expect(first.message).toContain('the server refused the password');
      const before = Date.now();
      const second = await octoFailure(src.open({ path: 'a.csv', size: 16, mtimeMs: 0 }).then((stream) => buffer(stream)));
      expect(second).toBe(first);
      expect(Date.now() - before).toBeLessThan(500);
    });
  });

  describe('when the connection drops mid-transfer', () => {
    it('should reconnect and resume from the byte reached, delivering every byte once', async () => {
      const file = path.join(sshd.dropDir, 'cut', 'big.bin');
      await mkdir(path.dirname(file), { recursive: true });
      const written = await writeKeystreamFile(file, 48 * 1024 * 1024, 'cut');
      const src = source({}, { dir: path.join(sshd.dropDir, 'cut') });
      const [listed] = await discover(src);
      const stream = await src.open(listed!);
      const hash = createHash('sha256');
      let bytes = 0;
      let killed = 0;
      for await (const chunk of stream) {
        hash.update(chunk as Buffer);
        bytes += (chunk as Buffer).length;
        // Cut twice: once early, once past the middle.
        if ((killed === 0 && bytes > 4 * 1024 * 1024) || (killed === 1 && bytes > 30 * 1024 * 1024)) killed += (await sshd.killSessions()) > 0 ? 1 : 0;
      }
      expect(killed).toBe(2);
      expect((stream as unknown as { resumes: number }).resumes).toBeGreaterThanOrEqual(2);
      expect(bytes).toBe(written.size);
      expect(hash.digest('hex')).toBe(written.sha256);
    });

    it('should treat a server that stops answering as a dropped connection after readTimeoutMs, and resume', async () => {
      const src = source({ readTimeoutMs: 800 }, { dir: path.join(sshd.dropDir, 'cut') });
      const [listed] = await discover(src);
      const stream = await src.open(listed!);
      const hash = createHash('sha256');
      let bytes = 0;
      let frozen: number[] = [];
      const started = Date.now();
      try {
        for await (const chunk of stream) {
          hash.update(chunk as Buffer);
          bytes += (chunk as Buffer).length;
          if (frozen.length === 0 && bytes > 8 * 1024 * 1024) frozen = await sshd.freezeSessions();
        }
      } finally {
        for (const pid of frozen) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // Gone already.
          }
        }
      }
      expect(frozen.length).toBeGreaterThan(0);
      expect((stream as unknown as { resumes: number }).resumes).toBe(1);
      expect(Date.now() - started).toBeGreaterThanOrEqual(800);
      expect(bytes).toBe(48 * 1024 * 1024);
      expect(hash.digest('hex')).toBe(sha256(await readFile(path.join(sshd.dropDir, 'cut', 'big.bin'))));
    });

    it('should fail cleanly, naming the byte reached, when reconnects run out', async () => {
      const src = source({ resumeRetries: 0 }, { dir: path.join(sshd.dropDir, 'cut') });
      const [listed] = await discover(src);
      const stream = await src.open(listed!);
      let bytes = 0;
      const error = await octoFailure(
        (async () => {
          for await (const chunk of stream) {
            bytes += (chunk as Buffer).length;
            if (bytes > 2 * 1024 * 1024) await sshd.killSessions();
          }
        })(),
      );
      expect(error.kind).toBe('source');
      expect(error.message).toMatch(/^big\.bin: the SFTP transfer dropped at byte \d+ of 50331648 and 0 reconnects did not get it through/);
    });
  });
});
