import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { startMotoS3, type MotoS3Server } from './moto-s3-server.js';
import { startSshd, type SshdServer } from './sshd-server.js';

/** The real path on loopback: sshd and moto side by side, an independent S3 reader, and a temp folder. */
export interface SftpS3Stack {
  readonly sshd: SshdServer;
  readonly moto: MotoS3Server;
  /** A fresh SDK client on moto, to read back what a job landed. */
  readonly reader: S3Client;
  readonly dir: string;
  /** Stops both servers and removes the temp folder. */
  stop(): Promise<void>;
}

/** Starts sshd and moto at once and makes a temp folder named `<prefix>XXXXXX`; if one server fails to start, the other is stopped. */
export async function startSftpS3Stack(prefix: string): Promise<SftpS3Stack> {
  const [sshd, moto] = await Promise.allSettled([startSshd(), startMotoS3()]);
  if (sshd.status === 'rejected' || moto.status === 'rejected') {
    await Promise.all([sshd.status === 'fulfilled' && sshd.value.stop(), moto.status === 'fulfilled' && moto.value.stop()]);
    throw sshd.status === 'rejected' ? sshd.reason : (moto as PromiseRejectedResult).reason;
  }
  const reader = moto.value.client();
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return {
    sshd: sshd.value,
    moto: moto.value,
    reader,
    dir,
    stop: async () => {
      reader.destroy();
      await Promise.all([sshd.value.stop(), moto.value.stop()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
