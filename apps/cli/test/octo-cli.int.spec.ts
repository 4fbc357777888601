import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createTempWorkspace, listFiles, sha256, type TempWorkspace } from '@octo/core/testing';
import { DEMO_KEYS_DIR, sampleFiles, writeSampleDrop } from '@octo/provider-example';
import * as openpgp from 'openpgp';
import { afterEach, describe, expect, it } from 'vitest';
import { runOctoCli } from '@octo/testing';

const workspaces: TempWorkspace[] = [];
afterEach(async () => {
  await Promise.all(workspaces.splice(0).map((w) => w.cleanup()));
});

/** A temp copy of the example setup: its own config, bucket and work dir, the demo keys, and no drop folder yet. */
async function exampleSetup(): Promise<{ dir: string; drop: string; bucket: string }> {
  const w = await createTempWorkspace({ provider: 'example', bucket: 'example-bucket', providerConfig: { decryption: demoDecryption() }, config: { concurrency: undefined } });
  workspaces.push(w);
  // The example plugin seeds its drop only when the folder does not exist.
  await rm(w.dropDir, { recursive: true });
  return { dir: w.dir, drop: w.dropDir, bucket: w.bucketDir };
}

function demoDecryption(): Record<string, unknown> {
  return { passphrase: `file:${path.join(DEMO_KEYS_DIR, 'passphrase.txt')}`, privateKeys: [{ key: `file:${path.join(DEMO_KEYS_DIR, 'private.asc')}` }] };
}

/** Where each sample output must land: data/<type>/example/<date from the source name>/<name>. */
function expectedObjects(): Map<string, string> {
  const out = new Map<string, string>();
  for (const sample of sampleFiles()) {
    const [, y, m, d] = /(\d{4})(\d{2})(\d{2})/.exec(sample.file)!;
    for (const [name, digest] of Object.entries(sample.outputs)) {
      const ext = path.extname(name).slice(1).toLowerCase();
      const type = ['csv', 'pdf', 'xml'].includes(ext) ? ext : 'other';
      out.set(`data/${type}/example/${y}-${m}-${d}/${name}`, digest);
    }
  }
  return out;
}

async function landed(bucket: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const key of await listFiles(path.join(bucket, 'data'))) out.set(`data/${key}`, sha256(await readFile(path.join(bucket, 'data', key))));
  return out;
}

describe('octo sync (end to end, embedded default)', () => {
  it('should seed the example drop, land every output byte for byte, and find nothing to do the second time', async () => {
    const { dir, bucket } = await exampleSetup();
    const first = await runOctoCli(['sync', 'example'], { cwd: dir });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('example: 8 file(s) to process');
    expect(first.stdout).toMatch(/example\s+succeeded\s+8\s+0\s+8/);
    expect(first.stdout).toContain('example: landed 12 object(s):');
    expect(await landed(bucket)).toEqual(expectedObjects());
    // The run is in the job history the API shows.
    const jobFiles = (await listFiles(path.join(dir, 'work/jobs'))).sort();
    expect(jobFiles).toHaveLength(2);
    const [events, report] = jobFiles as [string, string];
    expect(report).toMatch(/^[0-9a-f-]{36}\.json$/);
    expect(events).toBe(report.replace('.json', '.events.ndjson'));
    expect(JSON.parse(await readFile(path.join(dir, 'work/jobs', report), 'utf8'))).toMatchObject({ provider: 'example', status: 'succeeded', succeeded: 8, failed: 0 });

    const second = await runOctoCli(['sync', 'example'], { cwd: dir });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('example: nothing to do, every file is already ingested');
    expect(await landed(bucket)).toEqual(expectedObjects());
  });

  it('when one configured key cannot be loaded and the passphrase file was written by echo, should say so once and land every file', async () => {
    const { dir, bucket } = await exampleSetup();
    await writeFile(path.join(dir, 'pass.txt'), `${await readFile(path.join(DEMO_KEYS_DIR, 'passphrase.txt'), 'utf8')}\n`);
    await writeFile(path.join(dir, 'broken.asc'), 'not a key\n');
    const configFile = path.join(dir, 'octo.config.yaml');
    const config = (await readFile(configFile, 'utf8'))
      .replace(/passphrase: file:.*/, 'passphrase: file:pass.txt')
      .replace('      privateKeys:\n', '      privateKeys:\n        - key: file:broken.asc\n');
    await writeFile(configFile, config);

    const run = await runOctoCli(['sync', 'example'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(await landed(bucket)).toEqual(expectedObjects());
    const warning = 'decryption.privateKeys[0] (file:broken.asc) of provider example cannot be loaded: it is not an armored OpenPGP private key';
    expect(run.stderr.split(warning).length - 1).toBe(1);
  });

  it('when a file is encrypted to the wrong key, should report it with its reason, land the rest, and exit 1', async () => {
    const { dir, drop, bucket } = await exampleSetup();
    await writeSampleDrop(drop);
    const other = await openpgp.readKey({ armoredKey: await readFile(path.join(DEMO_KEYS_DIR, 'other-public.asc'), 'utf8') });
    const message = await openpgp.createMessage({ binary: new TextEncoder().encode('a,b\n1,2\n') });
    await writeFile(path.join(drop, 'wrong_20261109.csv.gpg'), Buffer.from(await openpgp.encrypt({ message, encryptionKeys: other, format: 'binary' })));

    const first = await runOctoCli(['sync', 'example'], { cwd: dir });
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(
      /FAILED wrong_20261109\.csv\.gpg \[decrypt\] wrong_20261109\.csv\.gpg is encrypted to key [0-9A-F]{16}, but provider example has [0-9A-F]{16} \(subkey [0-9A-F]{16}\): add the private key it is encrypted to to decryption\.privateKeys/,
    );
    expect(first.stdout).toMatch(/example\s+partial\s+8\s+1\s+9/);
    expect(first.stdout).toContain('example: 1 file(s) failed:');
    expect(await landed(bucket)).toEqual(expectedObjects());

    // The failed file has no ledger record, so it is retried; nothing else is ingested again.
    const second = await runOctoCli(['sync', 'example', '--json'], { cwd: dir });
    expect(second.code).toBe(1);
    const events = second.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; path?: string; total?: number });
    expect(events[0]).toMatchObject({ type: 'job.started', total: 1 });
    expect(events.filter((e) => e.type === 'file.failed').map((e) => e.path)).toEqual(['wrong_20261109.csv.gpg']);
    expect(events.filter((e) => e.type === 'file.done')).toEqual([]);
    expect(events.at(-1)?.type).toBe('job.finished');
  });

  it('when a file name holds escape sequences and a line break, should print them escaped, never raw, and still land the rest', async () => {
    const { dir, drop, bucket } = await exampleSetup();
    await writeSampleDrop(drop);
    // Clears the screen, turns the text red, and forges a line of output.
    const hostile = '\u001b[2J\u001b[31mevil\nexample  succeeded  9  0  9.csv';
    await writeFile(path.join(drop, hostile), 'a,b\n');
    const run = await runOctoCli(['sync', 'example'], { cwd: dir });
    expect(run.code).toBe(1);
    for (const output of [run.stdout, run.stderr]) {
      expect(output).not.toContain('\u001b');
      expect(output).not.toMatch(/^example\s+succeeded/m);
    }
    const escaped = '\\x1b[2J\\x1b[31mevil\\nexample  succeeded  9  0  9.csv';
    expect(run.stdout).toContain(`FAILED ${escaped} [unsafe]`);
    expect(run.stdout).toMatch(new RegExp(`^${escaped.replace(/[[\]\\]/g, '\\$&')}\\s+unsafe\\s`, 'm'));
    expect(await landed(bucket)).toEqual(expectedObjects());
    // --json keeps the exact name (JSON escapes it).
    await writeFile(path.join(drop, 'again.txt'), 'x');
    const json = await runOctoCli(['sync', 'example', '--json'], { cwd: dir });
    const failed = json.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; path?: string }).filter((e) => e.type === 'file.failed');
    expect(failed.map((e) => e.path)).toEqual([hostile]);
  });

  it('when killed mid-run, should on rerun process exactly the files that have no ledger record', async () => {
    const { dir, drop, bucket } = await exampleSetup();
    await writeSampleDrop(drop);
    // Larger plain files so the run is still busy when it is killed.
    for (let i = 1; i <= 6; i += 1) await writeFile(path.join(drop, `bulk_2026111${i}.csv`), Buffer.alloc(24 * 1024 * 1024, `${i},row\n`));
    const doneBeforeKill: string[] = [];
    const killed = await runOctoCli(['sync', 'example', '--json', '--concurrency', '1'], {
      cwd: dir,
      onStdout: (chunk, child) => {
        for (const line of chunk.split('\n').filter(Boolean)) {
          const event = JSON.parse(line) as { type: string; path: string };
          if (event.type === 'file.done') {
            doneBeforeKill.push(event.path);
            child.kill('SIGKILL');
          }
        }
      },
    });
    expect(killed.killedBy).toBe('SIGKILL');
    expect(doneBeforeKill.length).toBeGreaterThanOrEqual(1);

    // What the ledger holds after the kill is exactly what the rerun must skip.
    const recorded: string[] = [];
    for (const key of await listFiles(path.join(bucket, '_octo/ledger'))) {
      recorded.push((JSON.parse(await readFile(path.join(bucket, '_octo/ledger', key), 'utf8')) as { path: string }).path);
    }
    expect(recorded).toEqual(expect.arrayContaining(doneBeforeKill));

    const rerun = await runOctoCli(['sync', 'example', '--json'], { cwd: dir });
    expect(rerun.code).toBe(0);
    const events = rerun.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; path: string });
    const all = [...sampleFiles().map((s) => s.file), ...[1, 2, 3, 4, 5, 6].map((i) => `bulk_2026111${i}.csv`)];
    const processed = events.filter((e) => e.type === 'file.done').map((e) => e.path);
    expect(processed.sort()).toEqual(all.filter((file) => !recorded.includes(file)).sort());
    expect(processed.length).toBeGreaterThan(0);
    expect(await listFiles(path.join(bucket, '_octo/ledger'))).toHaveLength(all.length);
    expect((await listFiles(bucket)).filter((key) => key.startsWith('.octo-staging'))).toEqual([]);
    expect((await landed(bucket)).size).toBe(expectedObjects().size + 6);
  });

  it('with --dry-run, should list each file and its key and write nothing', async () => {
    const { dir, drop, bucket } = await exampleSetup();
    await writeSampleDrop(drop);
    // --all takes every configured provider (here the one example).
    const result = await runOctoCli(['sync', '--all', '--dry-run'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('example: would process (dry run, nothing written):');
    expect(result.stdout).toMatch(/statements_20261101\.csv\.gpg\s+\S+ \S+\s+pgp\s+data\/csv\/example\/2026-11-01\/statements_20261101\.csv/);
    expect(result.stdout).toMatch(/bundle_20261104\.tar\.gz\.pgp\s+.*pgp\+gzip\+tar\s+data\/\*\/example\/2026-11-04\/\* \(one per entry\)/);
    expect(await listFiles(bucket)).toEqual([]);
  });
});

describe('octo (other commands and errors)', () => {
  it('should list providers and pending files', async () => {
    const { dir, drop } = await exampleSetup();
    await writeSampleDrop(drop);
    const providers = await runOctoCli(['providers'], { cwd: dir });
    expect(providers.code).toBe(0);
    expect(providers.stdout).toMatch(/example\s+example\s+file:\/\/drop\/example\s+example-bucket/);
    const pending = await runOctoCli(['pending', 'example'], { cwd: dir });
    expect(pending.code).toBe(0);
    expect(pending.stdout).toContain('8 file(s) pending for example');
    expect(pending.stdout).toContain('daily_20261103.csv.gz.gpg');
    expect(pending.stdout).not.toContain('left, since');

    // A partner that uploads into a dot folder, or never renames its .filepart, is told of, not silent.
    await mkdir(path.join(drop, '.incoming'), { recursive: true });
    await writeFile(path.join(drop, '.incoming', 'late.csv'), 'id\n1\n');
    await writeFile(path.join(drop, 'statement.csv.filepart'), 'id\n');
    const left = await runOctoCli(['pending', 'example'], { cwd: dir });
    expect(left.stdout).toContain('8 file(s) pending for example');
    expect(left.stdout).toContain(
      'example: 2 file(s) matched by include are left, since uploads in progress (*.part, *.tmp, *.filepart, *.crdownload, ~*) and dot files are never taken (rename on the drop, or name the dot folder in include):\n  .incoming/late.csv\n  statement.csv.filepart\n',
    );
    const json = await runOctoCli(['pending', 'example', '--json'], { cwd: dir });
    expect(JSON.parse(json.stdout).inProgress).toEqual(['.incoming/late.csv', 'statement.csv.filepart']);

    // A partner's .processed/ folder of thousands prints 20 and a count; --json has them all.
    await mkdir(path.join(drop, '.processed'));
    for (let n = 0; n < 30; n += 1) await writeFile(path.join(drop, '.processed', `old_${String(n).padStart(2, '0')}.csv`), 'x\n');
    const many = await runOctoCli(['pending', 'example'], { cwd: dir });
    expect(many.stdout).toContain('example: 32 file(s) matched by include are left, since');
    expect(many.stdout).toContain('  .processed/old_18.csv\n  ... and 12 more (octo pending example --json lists them all)\n');
    expect(JSON.parse((await runOctoCli(['pending', 'example', '--json'], { cwd: dir })).stdout).inProgress).toHaveLength(32);
    // A sync says so too, from -v on: the count and the first ten.
    const sync = await runOctoCli(['sync', 'example', '-v'], { cwd: dir });
    expect(sync.code).toBe(0);
    expect(sync.stderr).toContain(
      'left 32 file(s) the globs match: uploads in progress (*.part, *.tmp, *.filepart, *.crdownload, ~*) and dot files are never taken (rename them on the drop, or name the dot folder in include): .incoming/late.csv, .processed/old_00.csv,',
    );
    expect(sync.stderr).toContain('.processed/old_08.csv, and 22 more');
  });

  it('should show each provider\'s schedule, next run and last job, as a table and as JSON', async () => {
    const { dir, drop } = await exampleSetup();
    await writeSampleDrop(drop);
    const configFile = path.join(dir, 'octo.config.yaml');
    await writeFile(configFile, (await readFile(configFile, 'utf8')) + '    schedule:\n      cron: "0 6 * * *"\n      timezone: Europe/Paris\n');
    const before = await runOctoCli(['providers', '--json'], { cwd: dir });
    expect(before.code).toBe(0);
    const unsynced = JSON.parse(before.stdout).providers[0];
    expect(unsynced).toMatchObject({ name: 'example', schedule: { cron: '0 6 * * *', timezone: 'Europe/Paris' }, lastJob: null });
    // 06:00 in Paris is 05:00 UTC in winter, 04:00 in summer; the next one is within a day.
    expect(unsynced.nextRunAt).toMatch(/^\d{4}-\d{2}-\d{2}T0[45]:00:00\.000Z$/);
    expect(Date.parse(unsynced.nextRunAt)).toBeGreaterThan(Date.now());
    expect(Date.parse(unsynced.nextRunAt)).toBeLessThanOrEqual(Date.now() + 86_400_000);

    expect((await runOctoCli(['sync', 'example'], { cwd: dir })).code).toBe(0);
    const after = JSON.parse((await runOctoCli(['providers', '--json'], { cwd: dir })).stdout).providers[0];
    expect(after.lastJob).toMatchObject({ status: 'succeeded' });
    expect(after.lastJob.finishedAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    const shown = await runOctoCli(['providers'], { cwd: dir });
    expect(shown.stdout).toMatch(/^provider\s+plugin\s+source\s+bucket\s+schedule\s+next run\s+last job\s+late\s+description$/m);
    // No `expect:`: lateness is not judged.
    expect(shown.stdout).toContain(`cron 0 6 * * * (Europe/Paris)  ${after.nextRunAt}  succeeded at ${after.lastJob.finishedAt}  -  `);
    expect(after.late).toBeNull();
  });

  it('should say whether a provider with an expect: is late, as a table and as JSON', async () => {
    const { dir, drop, bucket } = await exampleSetup();
    await writeSampleDrop(drop);
    const configFile = path.join(dir, 'octo.config.yaml');
    const config = await readFile(configFile, 'utf8');
    // Due by midnight UTC every day: nothing was ingested since the last midnight, so it is late.
    await writeFile(configFile, `${config}    expect:\n      by: "00:00"\n      days: daily\n      timezone: UTC\n`);
    const before = JSON.parse((await runOctoCli(['providers', '--json'], { cwd: dir })).stdout).providers[0];
    const midnight = new Date();
    midnight.setUTCHours(0, 0, 0, 0);
    expect(before.late).toMatchObject({ since: midnight.toISOString(), expectation: expect.stringContaining('00:00') });
    const shown = await runOctoCli(['providers'], { cwd: dir });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`none\\s+since ${midnight.toISOString()} \\(expected by 00:00 every day \\(UTC\\)\\)\\s`));

    // Files ingested now arrived after the deadline that passed: on time for the next one.
    expect((await runOctoCli(['sync', 'example'], { cwd: dir })).code).toBe(0);
    const after = JSON.parse((await runOctoCli(['providers', '--json'], { cwd: dir })).stdout).providers[0];
    expect(after.late).toBeNull();
    expect((await runOctoCli(['providers'], { cwd: dir })).stdout).toMatch(/succeeded at \S+\s+no\s/);

    // A ledger that cannot be read judges nothing: unknown, and a warning that says why (never "no").
    await rm(bucket, { recursive: true });
    await writeFile(bucket, 'not a folder');
    const unreadable = await runOctoCli(['providers'], { cwd: dir });
    expect(unreadable.code).toBe(0);
    expect(unreadable.stdout).toMatch(/succeeded at \S+\s+unknown\s/);
    expect(unreadable.stderr).toContain("cannot judge whether example's files arrived: cannot read the ledger in");
  });

  it('when a schedule is invalid, should exit 2 and name the field', async () => {
    const { dir } = await exampleSetup();
    const configFile = path.join(dir, 'octo.config.yaml');
    await writeFile(configFile, (await readFile(configFile, 'utf8')) + '    schedule:\n      every: 5s\n');
    const result = await runOctoCli(['providers'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('providers.example.schedule.every: interval "5s" is too short: the shortest is 10s');
  });

  it('when the provider is unknown, should exit 2 and list the known ones', async () => {
    const { dir } = await exampleSetup();
    const result = await runOctoCli(['sync', 'nope'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('octo: unknown provider "nope": the configured providers are example\n');
  });

  it('when the config is invalid, should exit 2 and name the bad field', async () => {
    const { dir } = await exampleSetup();
    await writeFile(path.join(dir, 'bad.yaml'), 'store: file://b\nproviders:\n  example:\n    source: file://d\n    bucket: B!\n');
    const result = await runOctoCli(['sync', 'example', '--config', 'bad.yaml'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('providers.example.bucket: expected a bucket name');
  });

  it('when called without providers, should exit 2 with a usage hint', async () => {
    const { dir } = await exampleSetup();
    const result = await runOctoCli(['sync'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('name at least one provider, or pass --all');
  });
});
