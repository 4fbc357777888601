import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { OctoError } from '../errors/octo-error.js';
import type { EntryTransform } from '../ports/entry-transform.js';
import type { FileContext } from '../ports/file-context.js';
import type { FileResult, JobEvent, JobSummary } from '../ports/job-events.js';
import type { UnpackedEntry } from '../ports/unpacker.js';
import { defineProvider } from '../providers/provider-plugin.js';
import { tarOf } from '../testing/archive-fixtures.js';
import { listFiles } from '../testing/files.js';
import { createTempWorkspace, type TempWorkspace } from '../testing/temp-workspace.js';
import { PIPELINE_STAGES } from '../ports/stage-timings.js';
import { entryCheckError } from '../transform/entry-check-error.js';

// The validate-and-transform stage in a whole job on the embedded default: the config's blocks,
// a plugin's own EntryTransform bound through the facade, and the stage timings of each file.

const workspaces: TempWorkspace[] = [];
afterEach(async () => {
  await Promise.all(workspaces.splice(0).map((w) => w.cleanup()));
});

async function workspace(providerConfig: Record<string, unknown>): Promise<TempWorkspace> {
  const w = await createTempWorkspace({ providerConfig });
  workspaces.push(w);
  return w;
}

async function sync(w: TempWorkspace, plugins?: Parameters<TempWorkspace['runtime']>[0]): Promise<{ summary: JobSummary; events: JobEvent[] }> {
  const runtime = await w.runtime(plugins);
  const job = await runtime.jobs.start('plain');
  const summary = await job.done;
  return { summary, events: [...job.events] };
}

const result = (summary: JobSummary, filePath: string): FileResult | undefined => summary.files.find((file) => file.path === filePath);
const reason = (file: FileResult | undefined) => (file?.status === 'failed' ? file.reason : undefined);
const landedKeys = async (w: TempWorkspace) => (await listFiles(w.bucketDir)).filter((key) => key.startsWith('data/'));
const ledgerKeys = async (w: TempWorkspace) => (await listFiles(w.bucketDir)).filter((key) => key.startsWith('_octo/ledger/'));

describe('the validate-and-transform stage', () => {
  describe('when the config declares a charset, line endings, a BOM and CSV checks', () => {
    it('should land the entry re-encoded to UTF-8 with LF endings and no BOM, and fail the file whose last line breaks a check, landing nothing of it', async () => {
      const w = await workspace({
        include: ['**/*.csv*', '**/*.tar'],
        transform: { charset: 'windows-1252', lineEndings: 'lf', stripBom: false },
        validate: { csv: { header: ['name', 'city'], trailer: '^END,(\\d+)$' } },
      });
      await writeFile(path.join(w.dropDir, 'good.csv.gz'), gzipSync(Buffer.from([...Buffer.from('name,city\r\nRen'), 0xe9, ...Buffer.from(',Orl'), 0xe9, 0x61, 0x6e, 0x73, ...Buffer.from('\r\nEND,1\r\n')])));
      // Every line is fine but the last: the trailer states two rows where there is one.
      await writeFile(path.join(w.dropDir, 'short.csv'), 'name,city\r\nAnne,Lyon\r\nEND,2\r\n');
      // In an archive, only the .csv entry is checked; the bad CSV fails the whole archive.
      await writeFile(path.join(w.dropDir, 'bundle.tar'), await tarOf([['notes.txt', 'free text\r\n'], ['list.csv', 'name,town\r\n']]));
      const { summary } = await sync(w);

      expect(summary.files.map((file) => [file.path, file.status])).toEqual([['bundle.tar', 'failed'], ['good.csv.gz', 'done'], ['short.csv', 'failed']]);
      expect(await readFile(path.join(w.bucketDir, 'data/csv/plain/good.csv'), 'utf8')).toBe('name,city\nRené,Orléans\nEND,1\n');
      expect(reason(result(summary, 'short.csv'))).toBe(
        'short.csv line 3, column 5: the trailer states 2 rows, but the entry has 1 (a truncated or padded file); nothing from the file was landed: ask the partner for a corrected file',
      );
      expect(result(summary, 'short.csv')).toMatchObject({ kind: 'validate' });
      expect(reason(result(summary, 'bundle.tar'))).toMatch(/^bundle\.tar: list\.csv line 1, column 2: expected the header "name,city", but column 2 is "town" where "city" belongs; /);
      expect(await landedKeys(w)).toEqual(['data/csv/plain/good.csv']);
      expect(await ledgerKeys(w)).toHaveLength(1);
      expect((await listFiles(w.bucketDir)).filter((key) => key.includes('staging'))).toEqual([]);
    });

    it('should refuse a bad block at start with its config path', async () => {
      const cases: Array<[Record<string, unknown>, RegExp]> = [
        [{ transform: { charset: 'klingon' } }, /providers\.plain\.transform\.charset: unknown character set "klingon": expected a WHATWG encoding label/],
        [{ validate: { csv: { trailer: '^END,\\d+$' } } }, /providers\.plain\.validate\.csv\.trailer: expected a pattern with a capture group around the row count/],
        [{ validate: { csv: { trailer: '^END,(\\d+$' } } }, /providers\.plain\.validate\.csv\.trailer: not a regular expression/],
        [{ validate: { csv: { header: ['a', 'b'], columns: 3 } } }, /providers\.plain\.validate\.csv\.columns: columns differs from the number of header names/],
        [{ validate: { csvv: {} } }, /providers\.plain\.validate: .*csvv/],
      ];
      for (const [block, message] of cases) {
        const error = await createTempWorkspace({ providerConfig: block }).then(
          (w) => (workspaces.push(w), undefined),
          (thrown: unknown) => thrown,
        );
        expect(OctoError.is(error) ? error.message : String(error), JSON.stringify(block)).toMatch(message);
      }
    });
  });

  describe('when a plugin binds its own EntryTransform', () => {
    /** Upper-cases each entry and refuses one holding "forbidden", between the config's rewrites and checks. */
    class Shout implements EntryTransform {
      transform(entry: UnpackedEntry, context: FileContext) {
        if (!entry.name.endsWith('.txt')) return undefined;
        return new Transform({
          transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
            if (chunk.includes('forbidden')) return callback(new OctoError('validate', `${context.file.path}: ${entry.name} holds a forbidden word`));
            callback(null, Buffer.from(chunk.toString('utf8').toUpperCase()));
          },
        });
      }
    }
    const shouting = defineProvider({ name: 'plain', description: 'test', register: ({ override }) => override('entryTransform', Shout) });

    it('should rewrite entries after the config rewrites and fail the file its stream fails', async () => {
      const w = await workspace({ transform: { entries: ['**/*.txt'], lineEndings: 'lf' } });
      await mkdir(path.join(w.dropDir, 'in'));
      await writeFile(path.join(w.dropDir, 'in/a.txt'), 'hello\r\nworld\r\n');
      await writeFile(path.join(w.dropDir, 'in/b.txt'), 'a forbidden thing');
      await writeFile(path.join(w.dropDir, 'in/c.pdf'), '%PDF-1 kept as is');
      const { summary } = await sync(w, [shouting]);
      expect(summary.files.map((file) => [file.path, file.status])).toEqual([['in/a.txt', 'done'], ['in/b.txt', 'failed'], ['in/c.pdf', 'done']]);
      expect(await readFile(path.join(w.bucketDir, 'data/other/plain/a.txt'), 'utf8')).toBe('HELLO\nWORLD\n');
      expect(await readFile(path.join(w.bucketDir, 'data/pdf/plain/c.pdf'), 'utf8')).toBe('%PDF-1 kept as is');
      expect(reason(result(summary, 'in/b.txt'))).toBe('in/b.txt: b.txt holds a forbidden word');
      expect(await landedKeys(w)).toEqual(['data/other/plain/a.txt', 'data/pdf/plain/c.pdf']);
    });
  });

  describe('the example of docs/providers.md', () => {
    // The page's code as it stands there: keep the two alike.
    class InitechHrEntryTransform implements EntryTransform {
      transform(entry: UnpackedEntry, context: FileContext) {
        return entry.name.endsWith('.csv') ? new MaxHoursCheck(context, entry.name) : undefined;
      }
    }

    class MaxHoursCheck extends Transform {
      private line = 0;
      private partial = '';

      constructor(
        private readonly context: FileContext,
        private readonly entryName: string,
      ) {
        super();
      }

      override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
        const lines = (this.partial + chunk.toString('utf8')).split('\n');
        this.partial = lines.pop() ?? '';
        for (const text of lines) {
          const error = this.check(text);
          if (error) return callback(error);
        }
        callback(null, chunk);
      }

      override _flush(callback: TransformCallback): void {
        callback(this.partial ? this.check(this.partial) : null);
      }

      private check(text: string): Error | undefined {
        this.line += 1;
        const [employee, hours] = text.split(',');
        if (this.line === 1 || hours === undefined || Number(hours) <= 80) return undefined;
        const at = { line: this.line, column: (employee ?? '').length + 2 };
        return entryCheckError(this.context, this.entryName, at, `${hours} hours in one week is more than 80`);
      }
    }

    it('should land the good week as UTF-8 with LF endings and refuse the week over 80 hours, naming line and column', async () => {
      const w = await workspace({ transform: { charset: 'windows-1252', lineEndings: 'lf' }, validate: { csv: { header: ['employee', 'hours'] } } });
      await writeFile(path.join(w.dropDir, 'week45.csv'), Buffer.concat([Buffer.from('employee,hours\r\nRen'), Buffer.from([0xe9]), Buffer.from(',38.5\r\n')]));
      await writeFile(path.join(w.dropDir, 'week46.csv'), 'employee,hours\r\nAnne,37\r\nBob,380\r\n');
      const plugin = defineProvider({ name: 'plain', description: 'test', register: ({ override }) => override('entryTransform', InitechHrEntryTransform) });
      const { summary } = await sync(w, [plugin]);
      expect(summary).toMatchObject({ status: 'partial', succeeded: 1, failed: 1 });
      expect(await readFile(path.join(w.bucketDir, 'data/csv/plain/week45.csv'), 'utf8')).toBe('employee,hours\nRené,38.5\n');
      expect(result(summary, 'week46.csv')).toMatchObject({ kind: 'validate' });
      expect(reason(result(summary, 'week46.csv'))).toBe('week46.csv line 3, column 5: 380 hours in one week is more than 80; nothing from the file was landed: ask the partner for a corrected file');
      expect(await landedKeys(w)).toEqual(['data/csv/plain/week45.csv']);
      expect(await ledgerKeys(w)).toHaveLength(1);
    });
  });

  describe('the stage timings of each file', () => {
    it('should report the stages that ran with the bytes out of each, in the result and its event', async () => {
      const w = await workspace({ transform: { lineEndings: 'lf' } });
      const body = 'a,b\r\n'.repeat(20_000);
      await writeFile(path.join(w.dropDir, 'rows.csv.gz'), gzipSync(body));
      await writeFile(path.join(w.dropDir, 'plain.pdf'), '%PDF-1');
      const { summary, events } = await sync(w);
      const gz = result(summary, 'rows.csv.gz');
      expect(gz?.status).toBe('done');
      const stages = gz?.stages ?? {};
      expect(Object.keys(stages)).toEqual(['read', 'unpack', 'transform', 'store', 'commit']);
      expect(stages.read?.bytes).toBe(gz?.size);
      expect(stages.unpack?.bytes).toBe(body.length);
      expect(stages.transform?.bytes).toBe(body.length - 20_000);
      expect(stages.store?.bytes).toBe(body.length - 20_000);
      expect(stages.commit?.bytes).toBe(body.length - 20_000);
      for (const stage of PIPELINE_STAGES) if (stages[stage]) expect(stages[stage].ms, stage).toBeGreaterThanOrEqual(0);
      for (const stage of PIPELINE_STAGES) if (stages[stage]) expect(stages[stage].ms, stage).toBeLessThanOrEqual((gz?.durationMs ?? 0) + 1);
      expect(Object.keys(result(summary, 'plain.pdf')?.stages ?? {})).toEqual(['read', 'unpack', 'store', 'commit']);
      // The job's totals add up its files' stages.
      const pdf = result(summary, 'plain.pdf')?.stages ?? {};
      expect(summary.stages?.read?.bytes).toBe((stages.read?.bytes ?? 0) + (pdf.read?.bytes ?? 0));
      expect(summary.stages?.store?.bytes).toBe(summary.bytesOut);
      expect(summary.stages?.transform).toEqual(stages.transform);
      expect(summary.stages?.commit?.ms).toBeCloseTo((stages.commit?.ms ?? 0) + (pdf.commit?.ms ?? 0), 0);
      const done = events.find((event) => event.type === 'file.done' && event.path === 'rows.csv.gz');
      expect(done && 'stages' in done ? done.stages : undefined).toEqual(stages);
    });
  });
});
