import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { StderrLogger } from './stderr-logger.js';

function capture(verbosity: number): { logger: StderrLogger; lines: string[] } {
  const lines: string[] = [];
  const out = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  return { logger: new StderrLogger(verbosity, out), lines };
}

describe(StderrLogger, () => {
  it('should show warnings and errors by default, with their fields', () => {
    const { logger, lines } = capture(0);
    logger.debug('d');
    logger.info('i');
    logger.warn('sftp transfer dropped; reconnecting to resume', { path: 'a.gpg', offset: 1024 });
    logger.error('e');
    expect(lines).toEqual(['octo: warn: sftp transfer dropped; reconnecting to resume path=a.gpg offset=1024\n', 'octo: error: e\n']);
  });

  it('should add info with -v and debug with -vv', () => {
    const one = capture(1);
    one.logger.debug('d');
    one.logger.info('i');
    expect(one.lines).toEqual(['octo: info: i\n']);
    const two = capture(2);
    two.logger.debug('d');
    expect(two.lines).toEqual(['octo: debug: d\n']);
  });
});
