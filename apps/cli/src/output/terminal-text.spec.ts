import { describe, expect, it } from 'vitest';
import { printable, printableLines } from './terminal-text.js';

describe(printable, () => {
  it('should write escape sequences, line breaks and other controls as their escapes', () => {
    expect(printable('\u001b[31mred\u001b[0m.csv')).toBe('\\x1b[31mred\\x1b[0m.csv');
    expect(printable('a\nb\rc\td\u0000e\u007f\u009b')).toBe('a\\nb\\rc\\td\\x00e\\x7f\\x9b');
  });

  it('should write the characters that reorder text as their escapes', () => {
    // "invoice_\u202Efdp.exe" reads as "invoice_exe.pdf" on a terminal that honours the override.
    expect(printable('invoice_\u202efdp.exe')).toBe('invoice_\\u{202e}fdp.exe');
    expect(printable('a\u2066b\u2069\u200f')).toBe('a\\u{2066}b\\u{2069}\\u{200f}');
  });

  it('should leave printable text as it is, accents, other scripts and backslashes included', () => {
    for (const name of ['statements_20261101.csv', 'relevé de compte é.csv', '報告書.pdf', 'C:\\exports\\a.csv', 'emoji 📄.txt']) expect(printable(name)).toBe(name);
  });
});

describe(printableLines, () => {
  it('should keep line breaks and escape what is inside each line', () => {
    expect(printableLines('config is invalid:\n  path \u001b]0;title\u0007')).toBe('config is invalid:\n  path \\x1b]0;title\\x07');
  });
});
