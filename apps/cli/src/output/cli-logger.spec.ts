import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createCliLogger } from './cli-logger.js';

function capture(): { stream: Writable & { isTTY?: boolean }; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  return { stream, lines: () => chunks.join('').split('\n').filter(Boolean) };
}

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe(createCliLogger, () => {
  it('without a terminal, should write one timestamped, levelled line per entry: warnings and errors by default', () => {
    const { stream, lines } = capture();
    const logger = createCliLogger({ verbosity: 0, stream });
    logger.debug('d');
    logger.info('i');
    logger.warn('sftp transfer dropped; reconnecting to resume', { path: 'a.gpg', offset: 1024 });
    logger.error('e');
    expect(lines()).toEqual([
      expect.stringMatching(/^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\] WARN: sftp transfer dropped; reconnecting to resume \{"path":"a\.gpg","offset":1024\}$/),
      expect.stringMatching(/^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\] ERROR: e$/),
    ]);
  });

  it('should print a message naming a partner file with its escape sequences and line breaks escaped', () => {
    const { stream, lines } = capture();
    createCliLogger({ verbosity: 0, stream }).warn('recovery: rolled-forward \u001b[2Jevil\nWARN: forged.csv: 1 output(s) made visible', { path: '\u001b[2Jevil' });
    expect(lines()).toEqual([
      expect.stringMatching(/\] WARN: recovery: rolled-forward \\x1b\[2Jevil\\nWARN: forged\.csv: 1 output\(s\) made visible \{"path":"\\u001b\[2Jevil"\}$/),
    ]);
  });

  it('should add info with -v and debug with -vv', () => {
    const one = capture();
    const info = createCliLogger({ verbosity: 1, stream: one.stream });
    info.debug('d');
    info.info('i');
    expect(one.lines()).toEqual([expect.stringMatching(/\] INFO: i$/)]);
    const two = capture();
    createCliLogger({ verbosity: 2, stream: two.stream }).debug('d');
    expect(two.lines()).toEqual([expect.stringMatching(/\] DEBUG: d$/)]);
  });

  it('should redact a field that holds a secret, whoever passed it', () => {
    const { stream, lines } = capture();
    createCliLogger({ verbosity: 0, stream }).warn('auth failed', { user: 'acme', password: 'hunter2' });
    expect(lines()[0]).toContain('"password":"[redacted]"');
    expect(lines().join('\n')).not.toContain('hunter2');
  });

  it('with --log-file, should append JSON lines to the file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'octo-log-'));
    dirs.push(dir);
    const file = path.join(dir, 'logs/octo.log');
    createCliLogger({ verbosity: 1, logFile: file }).info('listed the drop', { files: 3 });
    const [line] = (await readFile(file, 'utf8')).trim().split('\n');
    expect(JSON.parse(line!)).toMatchObject({ level: 30, msg: 'listed the drop', files: 3, time: expect.stringMatching(/Z$/) });
  });
});
