import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretResolver, type Logger, type ProviderCheck, type SourceConfig } from '@octo/core';
import { octoFailure, SftpRemoteSource } from '@octo/core/testing';
import { writeOctoConfig } from './config-files.js';
import { createLoginUser, type LoginUser } from './login-user.js';
import { runOctoCli } from './octo-cli.js';
import { startSshd, type SshdServer } from './sshd-server.js';

// Partners who hand out a password, not a key: OpenSSH sshd checking a throwaway system user's
// password through PAM, once with password logins only and once with keyboard-interactive only.

let user: LoginUser;
let passwordOnly: SshdServer;
let keyboardOnly: SshdServer;
const opened: SftpRemoteSource[] = [];
const lines: string[] = [];
const logger: Logger = {
  debug: (message, fields) => void lines.push(`${message} ${JSON.stringify(fields ?? {})}`),
  info: (message, fields) => void lines.push(`${message} ${JSON.stringify(fields ?? {})}`),
  warn: (message, fields) => void lines.push(`${message} ${JSON.stringify(fields ?? {})}`),
  error: (message, fields) => void lines.push(`${message} ${JSON.stringify(fields ?? {})}`),
};
const PASSWORD_ADVICE =
  'Check the secret source.password refers to, and that the server takes a password for this user (set source.keyboardInteractive: true if it asks through prompts)';
const body = 'id,amount\n1,100\n2,250\n';

function source(sshd: SshdServer, overrides: Partial<SourceConfig>, env: NodeJS.ProcessEnv = {}): SftpRemoteSource {
  const config: SourceConfig = {
    url: `sftp://${user.name}@127.0.0.1:${sshd.port}${sshd.dropDir}`,
    recursive: true,
    minAgeSeconds: 0,
    stabilityCheckMs: 0,
    acceptUnknownHostKey: false,
    hostKey: sshd.hostKeyFingerprint,
    connectTimeoutMs: 10_000,
    readTimeoutMs: 10_000,
    connections: 1,
    resumeRetries: 1,
    ...overrides,
  };
  const created = SftpRemoteSource.fromConfig(config, { baseDir: sshd.dir, secrets: new SecretResolver(sshd.dir, env), logger });
  opened.push(created);
  return created;
}

beforeAll(async () => {
  user = await createLoginUser();
  [passwordOnly, keyboardOnly] = await Promise.all([
    startSshd({ pam: true, extraConfig: ['AuthenticationMethods password'] }),
    startSshd({ pam: true, extraConfig: ['AuthenticationMethods keyboard-interactive'] }),
  ]);
  for (const sshd of [passwordOnly, keyboardOnly]) await writeFile(path.join(sshd.dropDir, 'pay.csv'), body);
  await writeFile(path.join(passwordOnly.dir, 'password.txt'), `${user.password}\n`);
}, 60_000);

afterAll(async () => {
  for (const created of opened) await created.close();
  await Promise.all([passwordOnly?.stop(), keyboardOnly?.stop()]);
  await user?.remove();
});

describe('password login', () => {
  it('should log in with source.password from env:, list and read the bytes', async () => {
    const s = source(passwordOnly, { password: 'env:PARTNER_SFTP_PASSWORD' }, { PARTNER_SFTP_PASSWORD: user.password });
    expect((await s.list()).map((file) => [file.path, file.size])).toEqual([['pay.csv', body.length]]);
    expect((await s.readSmall('pay.csv', 1000)).toString()).toBe(body);
  });

  it('should log in with source.password from file: (its first line)', async () => {
    const s = source(passwordOnly, { password: 'file:password.txt' });
    expect((await s.readSmall('pay.csv', 1000)).toString()).toBe(body);
  });

  it('should refuse a wrong password with a fatal auth error naming the user and host, and never show the password', async () => {
    const wrong = `${user.password}-old`;
    lines.length = 0;
    const error = await octoFailure(source(passwordOnly, { password: 'env:PARTNER_SFTP_PASSWORD' }, { PARTNER_SFTP_PASSWORD: wrong }).list());
    expect(error.kind).toBe('auth');
    expect(error.fatal).toBe(true);
    expect(error.message).toBe(
      `authentication failed for ${user.name}@127.0.0.1:${passwordOnly.port}: the server refused the password. ${PASSWORD_ADVICE}`,
    );
    expect(`${error.message} ${lines.join('\n')}`).not.toContain(user.password);
  });
});

describe('keyboard-interactive login', () => {
  it('should answer the prompts with source.password when keyboardInteractive is set, and read the bytes', async () => {
    const s = source(keyboardOnly, { password: 'env:PARTNER_SFTP_PASSWORD', keyboardInteractive: true }, { PARTNER_SFTP_PASSWORD: user.password });
    expect((await s.readSmall('pay.csv', 1000)).toString()).toBe(body);
  });

  it("should log in the same way in octo check's connection probe", async () => {
    const probe = await source(keyboardOnly, { password: 'env:PARTNER_SFTP_PASSWORD', keyboardInteractive: true }, { PARTNER_SFTP_PASSWORD: user.password }).probeConnection();
    expect(probe.connect.ok).toBe(true);
    expect(probe.login).toMatchObject({ ok: true, detail: `logged in as ${user.name}` });
  });

  it('should not get in without keyboardInteractive (the server takes no plain password)', async () => {
    const error = await octoFailure(source(keyboardOnly, { password: 'env:PARTNER_SFTP_PASSWORD' }, { PARTNER_SFTP_PASSWORD: user.password }).list());
    expect(error.kind).toBe('auth');
    expect(error.message).toBe(`authentication failed for ${user.name}@127.0.0.1:${keyboardOnly.port}: the server refused the password. ${PASSWORD_ADVICE}`);
  });

  it('should refuse a wrong answer with a fatal auth error that shows no password', async () => {
    const wrong = 'not the password';
    const error = await octoFailure(source(keyboardOnly, { password: 'env:PARTNER_SFTP_PASSWORD', keyboardInteractive: true }, { PARTNER_SFTP_PASSWORD: wrong }).list());
    expect(error.kind).toBe('auth');
    expect(error.message).toContain(`authentication failed for ${user.name}@127.0.0.1:${keyboardOnly.port}`);
    expect(error.message).not.toContain(wrong);
  });
});

describe('octo check with a wrong password', () => {
  it('should fail the login step naming the user and host, with the password nowhere in its output', async () => {
    const wrong = `${user.password}-stale`;
    const configPath = await writeOctoConfig(passwordOnly.dir, {
      store: 'file://buckets',
      providers: {
        partner: {
          plugin: 'example',
          bucket: 'partner-bucket',
          source: { url: `sftp://${user.name}@127.0.0.1:${passwordOnly.port}${passwordOnly.dropDir}`, hostKey: passwordOnly.hostKeyFingerprint, password: 'env:PARTNER_SFTP_PASSWORD', connectTimeoutMs: 10_000 },
        },
      },
    });
    const run = await runOctoCli(['check', 'partner', '--json', '--config', configPath, '-vv'], { env: { PARTNER_SFTP_PASSWORD: wrong } });
    expect(run.code).toBe(2);
    const result = JSON.parse(run.stdout) as ProviderCheck;
    expect(result.steps.map((step) => [step.step, step.status])).toEqual([
      ['secrets', 'pass'],
      ['keys', 'skip'],
      ['connect', 'pass'],
      ['login', 'fail'],
      ['list', 'skip'],
      ['read', 'skip'],
      ['bucket', 'pass'],
    ]);
    expect(result.steps.find((step) => step.step === 'login')?.detail).toBe(
      `authentication failed for ${user.name}@127.0.0.1:${passwordOnly.port}: the server refused the password. ${PASSWORD_ADVICE}`,
    );
    expect(run.stdout + run.stderr).not.toContain(user.password);
  }, 60_000);
});
