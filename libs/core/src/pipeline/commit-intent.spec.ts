import { existsSync } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ObjectStoreLedger } from '../adapters/ledger/object-store-ledger.js';
import { LocalObjectStore } from '../adapters/local/local-object-store.js';
import type { Staging } from '../ports/object-store.js';
import { listFiles } from '../testing/files.js';
import { CommitIntents, commitWithIntent, intentFor } from './commit-intent.js';

let bucket: string;
let store: LocalObjectStore;
let ledger: ObjectStoreLedger;
let intents: CommitIntents;
const source = { path: 'in/day.tar', size: 99, mtimeMs: 1_700_000_000_000, sha256: '12'.repeat(32) };

beforeEach(async () => {
  bucket = await mkdtemp(path.join(tmpdir(), 'octo-intent-'));
  store = new LocalObjectStore(bucket);
  ledger = new ObjectStoreLedger(store);
  intents = new CommitIntents(store);
});
afterEach(async () => {
  await rm(bucket, { recursive: true, force: true });
});

async function staged(count: number): Promise<Staging> {
  const staging = store.begin({ runId: 'run-1' });
  for (let index = 0; index < count; index += 1) await staging.put(`data/csv/p/m${index}.csv`, Readable.from([`row ${index}\n`]));
  return staging;
}

/** Moves m2's staged bytes away: its rename fails after m0 and m1 landed, as a store that fails mid-commit. */
async function blockThirdOutput(staging: Staging): Promise<() => Promise<void>> {
  const staged = path.join(bucket, staging.refs()[2]!.ref);
  await rename(staged, `${staged}.away`);
  return () => rename(`${staged}.away`, staged);
}

/** Counts commit calls and notes whether the intent existed at each. */
function observed(staging: Staging, onCommit: () => void | Promise<void>): Staging {
  return {
    put: (key, body, metadata) => staging.put(key, body, metadata),
    discard: (key) => staging.discard(key),
    abort: () => staging.abort(),
    refs: () => staging.refs(),
    rollback: () => staging.rollback(),
    commit: async () => {
      await onCommit();
      await staging.commit();
    },
  };
}

describe(commitWithIntent, () => {
  it('should write the intent before any output is visible, then the record, then drop the intent', async () => {
    const staging = await staged(4);
    const intent = intentFor('p', 'run-1', source, staging);
    const seen: Array<{ intent: boolean; visible: number }> = [];
    const record = await commitWithIntent(
      intents,
      ledger,
      store,
      observed(staging, async () => {
        seen.push({ intent: existsSync(path.join(bucket, CommitIntents.keyFor(intent))), visible: (await listFiles(path.join(bucket, 'data'))).length });
      }),
      intent,
    );
    expect(seen).toEqual([{ intent: true, visible: 0 }]);
    expect(record.outputs.map((output) => output.key)).toEqual(['data/csv/p/m0.csv', 'data/csv/p/m1.csv', 'data/csv/p/m2.csv', 'data/csv/p/m3.csv']);
    expect(await listFiles(path.join(bucket, '_octo'))).toEqual([expect.stringMatching(/^complete\/p\/[0-9a-f]{64}\.json$/), expect.stringMatching(/^ledger\/p\//)]);
  });

  it('should retry a commit that failed part-way and land every output once', async () => {
    const staging = await staged(4);
    const unblock = await blockThirdOutput(staging);
    let calls = 0;
    const visible: number[] = [];
    await commitWithIntent(
      intents,
      ledger,
      store,
      observed(staging, async () => {
        calls += 1;
        visible.push((await listFiles(path.join(bucket, 'data'))).length);
        if (calls === 3) await unblock();
      }),
      intentFor('p', 'run-1', source, staging),
    );
    // Nothing, then m0 and m1 on the retries, then all four.
    expect(visible).toEqual([0, 2, 2]);
    expect(await listFiles(path.join(bucket, 'data'))).toEqual(['csv/p/m0.csv', 'csv/p/m1.csv', 'csv/p/m2.csv', 'csv/p/m3.csv']);
    expect(await listFiles(path.join(bucket, '_octo'))).toEqual([expect.stringMatching(/^complete\/p\/[0-9a-f]{64}\.json$/), expect.stringMatching(/^ledger\/p\//)]);
  });

  it('should roll back what became visible when every try fails, and leave no intent and no record', async () => {
    const staging = await staged(4);
    await blockThirdOutput(staging);
    await expect(commitWithIntent(intents, ledger, store, staging, intentFor('p', 'run-1', source, staging))).rejects.toThrow(
      /^in\/day\.tar: the commit could not finish and was rolled back \(cannot commit data\/csv\/p\/m2\.csv in the bucket folder: .*\); the file is retried next run$/,
    );
    // m0 and m1 had landed: they are gone again, and no intent or record is left.
    expect(await listFiles(bucket)).toEqual([]);
  });
});
