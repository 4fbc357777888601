#!/usr/bin/env node
// `npm run dev:stack`: starts OpenSSH sshd and moto's S3 server on loopback ports, seeds the
// example provider's sample drop into the SFTP folder, creates its bucket, and writes
// .octo/dev-stack/octo.dev.yaml so `npx octo sync example --config .octo/dev-stack/octo.dev.yaml`
// runs the real SFTP -> S3 path. Ctrl-C stops both servers.
//
//   --run-sync   start, run the sync once, print the keys that landed, stop (a smoke test).
//   OCTO_DEV_STACK_DIR   where the stack keeps its files (default .octo/dev-stack).
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

const root = fileURLToPath(new URL('../../', import.meta.url));
register({ tsconfig: path.join(root, 'tsconfig.base.json') });
const harness = await import('@octo/testing');

const runSync = process.argv.includes('--run-sync');
const stackDir = path.resolve(process.env.OCTO_DEV_STACK_DIR ?? path.join(root, '.octo', 'dev-stack'));
const demoKeys = path.join(root, 'libs', 'providers', 'example', 'demo-keys');
const octoBin = path.join(root, 'apps', 'cli', 'bin', 'octo.mjs');
await mkdir(stackDir, { recursive: true });

// The sshd folder is kept, so its host key (and the fingerprint you may have pinned) survives restarts.
const sshd = await harness.startSshd({ dir: path.join(stackDir, 'sshd') });
const moto = await harness.startMotoS3();
const stop = async () => {
  await Promise.allSettled([sshd.stop(), moto.stop()]);
};

try {
  const drop = path.join(sshd.dropDir, 'example');
  // The example plugin seeds a local drop on first use: a dry run on a file:// source does just that.
  const seedConfig = await harness.writeOctoConfig(
    stackDir,
    {
      store: `file://${path.join(stackDir, 'seed-buckets')}`,
      workDir: path.join(stackDir, 'work'),
      providers: { example: { plugin: 'example', source: `file://${drop}`, bucket: 'example-bucket' } },
    },
    'seed.yaml',
  );
  const seeded = spawnSync(process.execPath, [octoBin, 'sync', 'example', '--dry-run', '--json', '--config', seedConfig], { cwd: root, encoding: 'utf8' });
  if (seeded.status !== 0) throw new Error(`seeding the sample drop failed:\n${seeded.stderr}`);

  const client = moto.client();
  await harness.createBucket(client, 'example-bucket');
  client.destroy();

  const config = {
    store: { url: 's3://', endpoint: moto.endpoint, forcePathStyle: true, region: harness.TEST_AWS_ENV.AWS_REGION },
    workDir: path.join(stackDir, 'work'),
    concurrency: 4,
    providers: {
      example: {
        plugin: 'example',
        source: {
          url: `sftp://${sshd.user}@127.0.0.1:${sshd.port}${drop}`,
          knownHosts: sshd.knownHostsFile,
          privateKey: `file:${sshd.userKeyFile}`,
        },
        bucket: 'example-bucket',
        include: ['**/*'],
        exclude: ['**/*.md'],
        decryption: {
          passphrase: `file:${path.join(demoKeys, 'passphrase.txt')}`,
          privateKeys: [{ key: `file:${path.join(demoKeys, 'private.asc')}` }],
        },
      },
    },
  };
  const configPath = await harness.writeOctoConfig(stackDir, config, 'octo.dev.yaml');
  const envPath = path.join(stackDir, 'env.sh');
  const envLines = Object.entries(harness.TEST_AWS_ENV).map(([name, value]) => `export ${name}=${value}`);
  await writeFile(envPath, `# Credentials moto accepts; the SDK's default chain reads them from the environment.\n${envLines.join('\n')}\n`);
  await writeFile(
    path.join(stackDir, 'stack.json'),
    `${JSON.stringify({ sftp: sshd.url, hostKey: sshd.hostKeyFingerprint, s3: moto.endpoint, bucket: 'example-bucket', config: configPath, pid: process.pid }, null, 2)}\n`,
  );
  const relative = (file) => path.relative(process.cwd(), file) || '.';

  if (runSync) {
    const synced = spawnSync(process.execPath, [octoBin, 'sync', 'example', '--config', configPath], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, ...harness.TEST_AWS_ENV },
    });
    const reader = moto.client();
    const keys = await harness.listKeys(reader, 'example-bucket');
    reader.destroy();
    process.stdout.write(`\nobjects in s3://example-bucket (${keys.length}):\n${keys.map((key) => `  ${key}`).join('\n')}\n`);
    await stop();
    process.exit(synced.status ?? 1);
  }

  process.stdout.write(
    [
      'Octo dev stack is up:',
      `  SFTP  ${sshd.url}   host key ${sshd.hostKeyFingerprint}`,
      `  S3    ${moto.endpoint}   bucket example-bucket (moto)`,
      `  config ${relative(configPath)}`,
      '',
      'In another shell:',
      `  source ${relative(envPath)}`,
      `  npx octo sync example --config ${relative(configPath)}`,
      '',
      'Ctrl-C stops both servers.',
      '',
    ].join('\n'),
  );
  await new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stdout.write('\nstopping the dev stack\n');
  await stop();
} catch (error) {
  await stop();
  process.stderr.write(`dev stack failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
