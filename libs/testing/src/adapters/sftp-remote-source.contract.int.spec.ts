import { SecretResolver } from '@octo/core';
import { remoteSourceContract, SftpRemoteSource, silentLogger } from '@octo/core/testing';
import { startSshd, type SshdServer } from '../sshd-server.js';

let sshd: SshdServer | undefined;

remoteSourceContract('SftpRemoteSource on OpenSSH sshd', {
  async root() {
    sshd = await startSshd();
    return sshd.dropDir;
  },
  create(folder, { recursive }) {
    const server = sshd!;
    return SftpRemoteSource.fromConfig(
      {
        url: `sftp://${server.user}@127.0.0.1:${server.port}${server.dropDir}/${folder}`,
        recursive,
        minAgeSeconds: 0,
        stabilityCheckMs: 0,
        acceptUnknownHostKey: false,
        hostKey: server.hostKeyFingerprint,
        privateKey: `file:${server.userKeyFile}`,
        connectTimeoutMs: 10_000,
        readTimeoutMs: 10_000,
        connections: 2,
        resumeRetries: 2,
      },
      { baseDir: server.dir, secrets: new SecretResolver(server.dir), logger: silentLogger },
    );
  },
  async dispose() {
    await sshd?.stop();
  },
});
