import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretResolver, type SourceConfig } from '@octo/core';
import { discover, SftpRemoteSource, silentLogger } from '@octo/core/testing';
import { writeKeystreamFile } from '../keystream-file.js';
import { startLatencyProxy, type LatencyProxy } from '../latency-proxy.js';
import { startSshd, type SshdServer } from '../sshd-server.js';

const MiB = 1024 * 1024;
/** ssh2's own window: no adjust it sends can exceed it. */
const SSH2_WINDOW = 2 * MiB;

/** Logs sshd's channel opens and window adjusts, whatever LogLevel says. */
const VERBOSE_WINDOW_LOG = 'LogVerbose serverloop.c:server_input_channel_open():*,channels.c:channel_input_window_adjust():*';

/** The window adjusts sshd received, per connection process, on the channels of one type it opened. */
function adjustsBySession(log: string, type = 'session'): Map<string, number[]> {
  const sessions = new Map<string, number[]>();
  for (const match of log.matchAll(new RegExp(`\\(pid=(\\d+)\\): ctype ${type} rchan \\d+ win (\\d+)`, 'g'))) {
    expect(Number(match[2])).toBe(SSH2_WINDOW);
    sessions.set(match[1]!, []);
  }
  for (const match of log.matchAll(/\(pid=(\d+)\): channel \d+: rcvd adjust (\d+)/g)) sessions.get(match[1]!)?.push(Number(match[2]));
  return sessions;
}

describe('SFTP channel window over 50 ms of round trip', () => {
  let sshd: SshdServer;
  let wan: LatencyProxy;
  const opened: SftpRemoteSource[] = [];

  function source(dir: string, overrides: Partial<SourceConfig> = {}): SftpRemoteSource {
    const created = SftpRemoteSource.fromConfig(
      {
        url: `sftp://${sshd.user}@127.0.0.1:${wan.port}${dir}`,
        recursive: true,
        minAgeSeconds: 0,
        stabilityCheckMs: 0,
        acceptUnknownHostKey: false,
        hostKey: sshd.hostKeyFingerprint,
        privateKey: `file:${sshd.userKeyFile}`,
        connectTimeoutMs: 10_000,
        readTimeoutMs: 10_000,
        connections: 1,
        resumeRetries: 3,
        receiveWindowMiB: 32,
        ...overrides,
      },
      { baseDir: sshd.dir, secrets: new SecretResolver(sshd.dir), logger: silentLogger },
    );
    opened.push(created);
    return created;
  }

  /** Reads the one file under `dir` through the proxy (and `overrides`' route), hashing it; `onBytes` runs after each chunk. */
  async function readThrough(dir: string, overrides: Partial<SourceConfig> = {}, onBytes: (bytes: number) => Promise<void> = async () => undefined) {
    const src = source(dir, overrides);
    const [listed] = await discover(src);
    const stream = await src.open(listed!);
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of stream) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
      await onBytes(bytes);
    }
    await src.close();
    return { bytes, sha256: hash.digest('hex'), resumes: (stream as unknown as { resumes: number }).resumes };
  }

  beforeAll(async () => {
    sshd = await startSshd({ extraConfig: [VERBOSE_WINDOW_LOG] });
    wan = await startLatencyProxy(sshd.port, { roundTripMs: 50 });
  });

  afterAll(async () => {
    for (const created of opened) await created.close();
    await wan?.stop();
    await sshd?.stop();
  });

  it('should grant the server a window well past ssh2 2 MiB, topped up in large steps, and land every byte', async () => {
    const dir = path.join(sshd.dropDir, 'one');
    await mkdir(dir, { recursive: true });
    const written = await writeKeystreamFile(path.join(dir, 'large.bin'), 40 * MiB, 'window');

    const read = await readThrough(dir);

    expect(read.bytes).toBe(written.size);
    expect(read.sha256).toBe(written.sha256);
    const sessions = [...adjustsBySession(sshd.log()).values()];
    expect(sessions).toHaveLength(1);
    const adjusts = sessions[0]!;
    // The first adjust widens the window; 40 MiB through a 32 MiB window needs at least one top-up,
    // each at half the window. ssh2 alone sends about 40 adjusts of 1 MiB here.
    expect(adjusts.length).toBeGreaterThanOrEqual(2);
    expect(adjusts.length).toBeLessThanOrEqual(4);
    for (const amount of adjusts) expect(amount).toBeGreaterThanOrEqual(16 * MiB);
  });

  it('should keep ssh2 own 2 MiB window when source.receiveWindowMiB is not set', async () => {
    const dir = path.join(sshd.dropDir, 'default');
    await mkdir(dir, { recursive: true });
    const written = await writeKeystreamFile(path.join(dir, 'large.bin'), 8 * MiB, 'window-default');
    const before = new Set(adjustsBySession(sshd.log()).keys());

    const read = await readThrough(dir, { receiveWindowMiB: undefined });

    expect(read.sha256).toBe(written.sha256);
    const sessions = [...adjustsBySession(sshd.log())].filter(([pid]) => !before.has(pid));
    expect(sessions).toHaveLength(1);
    const adjusts = sessions[0]![1];
    // ssh2 tops its window up about every MiB: several small adjusts, none past its 2 MiB.
    expect(adjusts.length).toBeGreaterThanOrEqual(4);
    for (const amount of adjusts) expect(amount).toBeLessThanOrEqual(SSH2_WINDOW);
  });

  it("should widen the jump host's forwarded channel too, which the SFTP connection rides on", async () => {
    const bastion = await startSshd({ extraConfig: [VERBOSE_WINDOW_LOG] });
    try {
      const dir = path.join(sshd.dropDir, 'via');
      await mkdir(dir, { recursive: true });
      const written = await writeKeystreamFile(path.join(dir, 'large.bin'), 24 * MiB, 'window-via');
      const jumpHost = { url: `ssh://${bastion.user}@127.0.0.1:${bastion.port}`, hostKey: bastion.hostKeyFingerprint, acceptUnknownHostKey: false, privateKey: `file:${bastion.userKeyFile}` };

      const read = await readThrough(dir, { jumpHost });

      expect(read.bytes).toBe(written.size);
      expect(read.sha256).toBe(written.sha256);
      const forwarded = [...adjustsBySession(bastion.log(), 'direct-tcpip').values()];
      expect(forwarded).toHaveLength(1);
      expect(Math.max(...forwarded[0]!)).toBeGreaterThanOrEqual(16 * MiB);
    } finally {
      await bastion.stop();
    }
  });

  it('should widen the window of the connection a dropped transfer resumes on too', async () => {
    const dir = path.join(sshd.dropDir, 'cut');
    await mkdir(dir, { recursive: true });
    const written = await writeKeystreamFile(path.join(dir, 'large.bin'), 24 * MiB, 'window-cut');
    const before = new Set(adjustsBySession(sshd.log()).keys());
    let killed = 0;

    const read = await readThrough(dir, {}, async (bytes) => {
      if (killed === 0 && bytes > 6 * MiB) killed += await sshd.killSessions();
    });

    expect(killed).toBe(1);
    expect(read.resumes).toBe(1);
    expect(read.bytes).toBe(written.size);
    expect(read.sha256).toBe(written.sha256);
    const sessions = [...adjustsBySession(sshd.log())].filter(([pid]) => !before.has(pid));
    expect(sessions).toHaveLength(2);
    for (const [, adjusts] of sessions) expect(Math.max(...adjusts)).toBeGreaterThan(SSH2_WINDOW);
  });
});
