import { existsSync } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ObjectStoreLedger } from '../adapters/ledger/object-store-ledger.js';
import { LocalObjectStore } from '../adapters/local/local-object-store.js';
import type { ObjectStore, Staging } from '../ports/object-store.js';
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

describe('CommitIntents with batched drops', () => {
  /** The local store, plus a deleteMany that notes each batch (the local store has none of its own). */
  function batchingStore(): { store: ObjectStore; batches: string[][] } {
    const batches: string[][] = [];
    const batching = Object.assign(Object.create(store) as ObjectStore, {
      deleteMany: async (keys: readonly string[]) => {
        batches.push([...keys]);
        for (const key of keys) await store.delete(key);
      },
    });
    return { store: batching, batches };
  }
  const intentOf = (index: number) => intentFor('p', 'run-1', { ...source, path: `in/f${index}.csv` }, { refs: () => [] } as unknown as Staging);

  it('should drop recorded files’ intents with one request per batch, at flush', async () => {
    const { store: batching, batches } = batchingStore();
    const batched = new CommitIntents(batching, { batchDrops: true });
    for (let index = 0; index < 5; index += 1) await batched.write(intentOf(index));
    for (let index = 0; index < 5; index += 1) await batched.dropSoon(intentOf(index));
    // Still there until the batch goes: a crash now leaves intents whose records exist, which recovery drops.
    expect((await batched.list('p')).length).toBe(5);
    await batched.flush();
    expect(batches).toEqual([Array.from({ length: 5 }, (_, index) => CommitIntents.keyFor(intentOf(index)))]);
    expect(await batched.list('p')).toEqual([]);
    await batched.flush();
    expect(batches).toHaveLength(1);
  });

  it('should send a batch within a second without a flush', async () => {
    vi.useFakeTimers();
    try {
      const { store: batching, batches } = batchingStore();
      const batched = new CommitIntents(batching, { batchDrops: true });
      await batched.dropSoon(intentOf(1));
      await batched.dropSoon(intentOf(2));
      expect(batches).toEqual([]);
      await vi.advanceTimersByTimeAsync(1000);
      expect(batches).toEqual([[CommitIntents.keyFor(intentOf(1)), CommitIntents.keyFor(intentOf(2))]]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('without batching, should drop each intent at once', async () => {
    const { store: batching, batches } = batchingStore();
    const plain = new CommitIntents(batching);
    await plain.write(intentOf(1));
    await plain.dropSoon(intentOf(1));
    expect(await plain.list('p')).toEqual([]);
    expect(batches).toEqual([]);
  });
});
