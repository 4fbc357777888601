import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/** Every visible object under a local bucket folder (no ledger, no staging), key -> sha256 of its bytes. */
export async function listBucket(bucketDir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const names = await readdir(bucketDir, { recursive: true }).catch(() => [] as string[]);
  for (const name of names.sort()) {
    const key = name.split(path.sep).join('/');
    if (key.startsWith('_octo/') || key.startsWith('.octo-staging')) continue;
    const full = path.join(bucketDir, name);
    if (!(await stat(full)).isFile()) continue;
    out.set(key, createHash('sha256').update(await readFile(full)).digest('hex'));
  }
  return out;
}

/** Files left under `<bucket>/.octo-staging` (there must be none once a job ended). */
export async function stagingLeftovers(bucketDir: string): Promise<string[]> {
  const names = await readdir(path.join(bucketDir, '.octo-staging'), { recursive: true }).catch(() => [] as string[]);
  const files: string[] = [];
  for (const name of names) {
    if ((await stat(path.join(bucketDir, '.octo-staging', name))).isFile()) files.push(name);
  }
  return files;
}

/** The ledger records of a provider in its local bucket, as stored. */
export async function ledgerRecords(bucketDir: string, provider: string): Promise<Array<{ path: string; jobId: string; outputs: Array<{ key: string }> }>> {
  const dir = path.join(bucketDir, '_octo', 'ledger', provider);
  const names = await readdir(dir).catch(() => [] as string[]);
  return Promise.all(names.map(async (name) => JSON.parse(await readFile(path.join(dir, name), 'utf8'))));
}
