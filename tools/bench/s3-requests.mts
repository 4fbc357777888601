// What one S3 request costs on this machine: the harness's S3 server (moto) and the SDK client,
// in CPU milliseconds per PutObject, for the bodies Octo writes per small file (a ~400-byte JSON
// record, with and without If-None-Match) and for a 50 KB output, 8 requests in flight as Octo
// sends them. The small-file case (C) into S3 is bound by this times the requests per file.
// Usage: npm run bench:s3-requests [-- --requests N]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { startMotoS3 } from '@octo/testing';

const { values } = parseArgs({ args: process.argv.slice(2), options: { requests: { type: 'string', default: '2000' } }, strict: false });
const requests = Math.max(100, Number(values.requests) || 2000);
const IN_FLIGHT = 8;

/** User plus system CPU-seconds of a process and of the children it waited for, from /proc. */
function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = [11, 12, 13, 14].reduce((sum, index) => sum + Number(fields[index]), 0);
  return ticks / 100;
}

const moto = await startMotoS3();
const client = moto.client();
try {
  await client.send(new CreateBucketCommand({ Bucket: 'request-cost' }));
  const record = `${JSON.stringify({ version: 1, provider: 'bench', path: 'in/statement-0001.csv.gpg', size: 48213, mtimeMs: 1_796_000_000_000, sha256: 'ab'.repeat(32), jobId: 'job-0000' }, null, 2)}\n`.padEnd(400, ' ');
  const cases = [
    { id: 'record, 400 B', body: record, ifNoneMatch: false },
    { id: 'record, 400 B, If-None-Match', body: record, ifNoneMatch: true },
    { id: 'output, 50 KB', body: Buffer.alloc(50_000, 7), ifNoneMatch: false },
  ];
  console.log(`\nS3 requests (${requests} PutObject per case, ${IN_FLIGHT} in flight; CPU of the server process and of this client)`);
  console.log(`${'case'.padEnd(30)} ${'wall s'.padStart(7)} ${'server cpu-s'.padStart(13)} ${'ms/request'.padStart(11)} ${'client cpu-s'.padStart(13)} ${'ms/request'.padStart(11)}`);
  for (const item of cases) {
    const server = processCpuSeconds(moto.pid);
    const own = process.cpuUsage();
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < requests) {
          const key = `${item.id.replace(/\W+/g, '-')}/${next++}`;
          await client.send(new PutObjectCommand({ Bucket: 'request-cost', Key: key, Body: item.body, ...(item.ifNoneMatch ? { IfNoneMatch: '*' } : {}) }));
        }
      }),
    );
    const wall = (performance.now() - started) / 1000;
    const serverCpu = processCpuSeconds(moto.pid) - server;
    const usage = process.cpuUsage(own);
    const clientCpu = (usage.user + usage.system) / 1e6;
    const perRequest = (seconds: number) => ((seconds * 1000) / requests).toFixed(2).padStart(11);
    console.log(`${item.id.padEnd(30)} ${wall.toFixed(2).padStart(7)} ${serverCpu.toFixed(2).padStart(13)} ${perRequest(serverCpu)} ${clientCpu.toFixed(2).padStart(13)} ${perRequest(clientCpu)}`);
  }
} finally {
  client.destroy();
  await moto.stop();
}
