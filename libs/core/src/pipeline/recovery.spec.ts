import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ObjectStoreLedger } from '../adapters/ledger/object-store-ledger.js';
import { LocalObjectStore, STAGING_DIR } from '../adapters/local/local-object-store.js';
import { runFolderName } from '../jobs/run-folder.js';
import type { LedgerRecord } from '../ports/ledger.js';
import type { StagedRef } from '../ports/object-store.js';
import { listFiles, sha256 } from '../testing/files.js';
import { CommitIntents, type CommitIntent } from './commit-intent.js';
import { Recovery } from './recovery.js';
import { RUNS_PREFIX } from './run-registry.js';

/** A pid that ran and exited: what a killed run leaves in its names. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

let root: string;
let bucket: string;
let temp: string;
let store: LocalObjectStore;
let ledger: ObjectStoreLedger;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'octo-recovery-'));
  bucket = path.join(root, 'bucket');
  temp = path.join(root, 'work', 'tmp');
  await mkdir(temp, { recursive: true });
  store = new LocalObjectStore(bucket);
  ledger = new ObjectStoreLedger(store);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const FILES = { 'data/csv/p/a.csv': 'a,1\n', 'data/csv/p/b.csv': 'b,2\n', 'data/pdf/p/c.pdf': '%PDF c' };

/**
 * What a run killed mid-commit leaves: outputs staged in its run folder (named after a dead
 * pid), its registration, and its intent; `visible` of them already renamed into place.
 */
async function deadRunMidCommit(options: { runId?: string; pid?: number; visible?: number; rawPath?: string } = {}) {
  const runId = options.runId ?? 'run-dead';
  const pid = options.pid ?? deadPid();
  const staging = store.begin({ runId });
  for (const [key, body] of Object.entries(FILES)) await staging.put(key, Readable.from([body]));
  const mine = runFolderName({ host: hostname(), pid: process.pid, runId });
  const theirs = runFolderName({ host: hostname(), pid, runId });
  if (mine !== theirs) await rename(path.join(bucket, STAGING_DIR, mine), path.join(bucket, STAGING_DIR, theirs));
  const outputs: StagedRef[] = staging.refs().map((ref) => ({ ...ref, ref: ref.ref.replace(mine, theirs) }));
  for (const output of outputs.slice(0, options.visible ?? 0)) {
    await mkdir(path.dirname(path.join(bucket, output.key)), { recursive: true });
    await rename(path.join(bucket, output.ref), path.join(bucket, output.key));
  }
  const intent: CommitIntent = {
    version: 1,
    provider: 'p',
    jobId: runId,
    host: hostname(),
    pid,
    writtenAt: new Date().toISOString(),
    source: { path: 'in/bundle.tar', ...(options.rawPath ? { rawPath: options.rawPath } : {}), size: 1234, mtimeMs: 1_700_000_000_000, sha256: 'ab'.repeat(32) },
    outputs,
  };
  await new CommitIntents(store).write(intent);
  await store.putSmall(`${RUNS_PREFIX}p/${runId}.json`, JSON.stringify({ provider: 'p', runId, host: hostname(), pid }));
  return { intent, outputs };
}

async function visibleData(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const object of store.list('data/')) out[object.key] = await readFile(path.join(bucket, object.key), 'utf8');
  return out;
}

async function records(): Promise<LedgerRecord[]> {
  const out: LedgerRecord[] = [];
  for await (const record of ledger.records('p')) out.push(record);
  return out;
}

const recovery = () => new Recovery({ provider: 'p', store, ledger, tempDir: temp });

describe(Recovery, () => {
  describe('when a dead run left an intent whose outputs are still staged', () => {
    it('should make every output visible, write the ledger record, drop the intent and leave no staging file', async () => {
      await deadRunMidCommit({ visible: 1 });
      const actions = await recovery().run('run-now');
      expect(actions.map((action) => `${action.action} ${action.target}`)).toEqual(['rolled-forward in/bundle.tar']);
      expect(await visibleData()).toEqual(FILES);
      const [record, ...more] = await records();
      expect(more).toEqual([]);
      expect(record).toMatchObject({ provider: 'p', path: 'in/bundle.tar', size: 1234, jobId: 'run-dead', sha256: 'ab'.repeat(32) });
      expect(record!.outputs).toEqual(Object.entries(FILES).map(([key, body]) => ({ key, size: body.length, sha256: sha256(body) })));
      // The completion marker of the normal commit path, then the record.
      expect(await listFiles(path.join(bucket, '_octo'))).toEqual([
        expect.stringMatching(/^complete\/p\/[0-9a-f]{64}\.json$/),
        expect.stringMatching(/^ledger\/p\/[0-9a-f]{40}-1234-1700000000000\.json$/),
      ]);
      expect(await listFiles(path.join(bucket, STAGING_DIR))).toEqual([]);
    });
  });

  describe('when a staged output of a dead run is gone', () => {
    it('should remove what became visible and the intent, and record nothing', async () => {
      const { outputs } = await deadRunMidCommit({ visible: 1 });
      await rm(path.join(bucket, outputs[2]!.ref));
      const actions = await recovery().run('run-now');
      expect(actions.map((action) => action.action)).toEqual(['rolled-back']);
      expect(actions[0]!.detail).toContain('1 of 3 output(s) were no longer staged (data/pdf/p/c.pdf)');
      expect(await visibleData()).toEqual({});
      expect(await records()).toEqual([]);
      expect(await listFiles(bucket)).toEqual([]);
    });
  });

  describe('when the dead run had written its ledger record already', () => {
    it('should only drop the intent', async () => {
      const { intent } = await deadRunMidCommit({ visible: 3 });
      await ledger.record({ ...intent.source, provider: 'p', outputs: intent.outputs, jobId: intent.jobId, ingestedAt: new Date().toISOString() });
      const actions = await recovery().run('run-now');
      // Its staging folder (empty now) goes too.
      expect(actions.map((action) => action.action)).toEqual(['dropped-intent', 'removed-staging']);
      expect(await visibleData()).toEqual(FILES);
      expect(await records()).toHaveLength(1);
      expect(existsSync(path.join(bucket, CommitIntents.keyFor(intent)))).toBe(false);
    });
  });

  describe('when the dead run had written the record of a file whose name is not UTF-8', () => {
    it('should find the record by the name’s bytes and only drop the intent', async () => {
      // `in/bundle\xE9.tar` in Windows-1252: the ledger keys it by its bytes, not by its decoded path.
      const { intent } = await deadRunMidCommit({ visible: 3, rawPath: 'in/bundle%E9.tar' });
      const ingestedAt = '2026-11-30T06:00:00.000Z';
      await ledger.record({ ...intent.source, provider: 'p', outputs: intent.outputs, jobId: intent.jobId, ingestedAt });
      const actions = await recovery().run('run-now');
      expect(actions.map((action) => action.action)).toEqual(['dropped-intent', 'removed-staging']);
      const [record, ...more] = await records();
      expect(more).toEqual([]);
      expect(record).toMatchObject({ rawPath: 'in/bundle%E9.tar', ingestedAt, jobId: 'run-dead' });
      expect(existsSync(path.join(bucket, CommitIntents.keyFor(intent)))).toBe(false);
    });
  });

  describe('when the intent belongs to a live run', () => {
    it('should leave the intent and its staging alone', async () => {
      const { intent } = await deadRunMidCommit({ pid: process.pid, runId: 'run-live' });
      // A live registration: this process, heartbeat now.
      const actions = await recovery().run('run-now');
      expect(actions).toEqual([]);
      expect(existsSync(path.join(bucket, CommitIntents.keyFor(intent)))).toBe(true);
      expect(await listFiles(path.join(bucket, STAGING_DIR))).toHaveLength(3);
      expect(await visibleData()).toEqual({});
    });
  });

  describe('when dead runs left staging folders and temp folders without intents', () => {
    it('should remove those of gone owners and keep those of live ones', async () => {
      const gone = deadPid();
      const staged = path.join(bucket, STAGING_DIR);
      const deadStaging = runFolderName({ host: hostname(), pid: gone, runId: 'run-x' });
      const liveStaging = runFolderName({ host: hostname(), pid: process.pid, runId: 'run-y' });
      const legacy = `${hostname()}-${gone}-${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}`;
      for (const folder of [deadStaging, liveStaging, legacy]) {
        await mkdir(path.join(staged, folder, 'x'), { recursive: true });
        await writeFile(path.join(staged, folder, 'x', '0'), 'decrypted bytes');
      }
      const deadTemp = runFolderName({ host: hostname(), pid: gone, runId: 'run-x' });
      const liveTemp = runFolderName({ host: hostname(), pid: process.pid, runId: 'run-y' });
      for (const folder of [deadTemp, liveTemp]) {
        await mkdir(path.join(temp, folder, 'zip-1'), { recursive: true });
        await writeFile(path.join(temp, folder, 'zip-1', 'archive.zip'), 'spooled plaintext');
      }
      const actions = await recovery().run('run-now');
      expect(actions.map((action) => `${action.action} ${action.target}`).sort()).toEqual(
        [`removed-staging ${deadStaging}`, `removed-staging ${legacy}`, `removed-temp ${deadTemp}`].sort(),
      );
      expect(await listFiles(staged)).toEqual([`${liveStaging}/x/0`]);
      expect(await listFiles(temp)).toEqual([`${liveTemp}/zip-1/archive.zip`]);
    });
  });
});
