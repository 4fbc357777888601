import { describe, expect, it } from 'vitest';
import { OctoError } from '../errors/octo-error.js';
import { safeRelativeName } from './safe-name.js';

describe('safeRelativeName', () => {
  it('should normalise harmless names', () => {
    expect(safeRelativeName('a/b/c.csv', 'entry')).toBe('a/b/c.csv');
    expect(safeRelativeName('./a//b.csv', 'entry')).toBe('a/b.csv');
  });

  it.each([
    ['../etc/passwd', 'climbs out'],
    ['a/../../b', 'climbs out'],
    ['/etc/passwd', 'absolute'],
    ['C:/windows/x', 'drive letter'],
    ['a\\b.csv', 'backslash'],
    ['a\u0000b', 'control characters'],
    ['', 'empty'],
    ['./', 'no file part'],
  ])('when the name is %j, should refuse it as unsafe (%s)', (name, reason) => {
    let thrown: unknown;
    try {
      safeRelativeName(name, 'tar entry');
    } catch (error) {
      thrown = error;
    }
    expect(OctoError.is(thrown)).toBe(true);
    expect((thrown as OctoError).kind).toBe('unsafe');
    expect((thrown as OctoError).message).toContain(reason);
    expect((thrown as OctoError).message).toContain('tar entry');
  });
});
