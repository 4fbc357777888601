import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import type { JobEvent, JobSummary } from '@octo/core';
import { createTempWorkspace, listBucketFiles, type TempWorkspace } from '@octo/core/testing';
import { WORKSPACE_ROOT } from './octo-cli.js';

const MiB = 1024 * 1024;
const OCTO_BIN = path.join(WORKSPACE_ROOT, 'apps/cli/bin/octo.mjs');
const workspaces: TempWorkspace[] = [];

afterEach(async () => {
  await Promise.all(workspaces.splice(0).map((w) => w.cleanup()));
});

/**
 * Runs `octo sync example --json` (the example plugin; its drop exists, so it is not seeded) with a real 4 MiB tmpfs mounted over `folder`, in a private mount
 * namespace (`unshare`), so the filesystem really fills up and nothing outside the child sees it.
 */
async function syncWithSmallDisk(w: TempWorkspace, folder: string): Promise<{ code: number | null; summary: JobSummary; stderr: string }> {
  await mkdir(folder, { recursive: true });
  const child = spawn(
    'unshare',
    ['--user', '--map-root-user', '--mount', 'sh', '-c', 'mount -t tmpfs -o size=4m octo-small-disk "$0" && exec "$@"', folder, process.execPath, OCTO_BIN, 'sync', 'example', '--json', '--config', w.configFile],
    { cwd: w.dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  const events = stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as JobEvent);
  const finished = events.find((event): event is Extract<JobEvent, { type: 'job.finished' }> => event.type === 'job.finished');
  if (!finished) throw new Error(`no job.finished event (exit ${code}): ${stderr} ${stdout}`);
  return { code, summary: finished.summary, stderr };
}

function failures(w: TempWorkspace, summary: JobSummary): string[] {
  const lines = summary.files.flatMap((f) => (f.status === 'failed' ? [`${f.path}: ${f.kind}: ${f.reason}`] : []));
  for (const line of lines) expect(line).not.toContain(w.dir);
  return lines;
}

describe('octo sync on a full disk', () => {
  it('should report a full bucket disk as such and still land the other files', async () => {
    const w = await createTempWorkspace({ provider: 'example', config: { concurrency: 1 } });
    workspaces.push(w);
    await writeFile(path.join(w.dropDir, 'big.bin'), randomBytes(6 * MiB));
    await writeFile(path.join(w.dropDir, 'ok.csv'), 'id,amount\n1,2\n');
    const { code, summary } = await syncWithSmallDisk(w, w.bucketDir);
    expect(code).toBe(1);
    expect(failures(w, summary)).toEqual([
      "big.bin: store: big.bin: the bucket folder's disk is full (while trying to stage data/other/example/undated/big.bin); free space there, then rerun",
    ]);
    expect(summary.files.filter((f) => f.status === 'done').map((f) => f.path)).toEqual(['ok.csv']);
  });

  it('should report a full work disk while spooling a zip as such, not as a damaged archive', async () => {
    const w = await createTempWorkspace({ provider: 'example' });
    workspaces.push(w);
    const zip = new yazl.ZipFile();
    zip.addBuffer(randomBytes(6 * MiB), 'big.csv', { compress: false });
    zip.end();
    const chunks: Buffer[] = [];
    for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
    await writeFile(path.join(w.dropDir, 'bundle.zip'), Buffer.concat(chunks));
    // The provider's temp folder (zip spools) is workDir/tmp.
    const { code, summary } = await syncWithSmallDisk(w, path.join(w.workDir, 'tmp'));
    expect(code).toBe(1);
    expect(failures(w, summary)).toEqual([
      "bundle.zip: unpack: bundle.zip: the work folder's disk is full (while spooling the zip archive); free space there or set workDir to a larger disk, then rerun",
    ]);
    expect(await listBucketFiles(w.bucketDir)).toEqual([]);
  });
});
