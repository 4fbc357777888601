/**
 * Characters a partner's file name (or anything else read from a drop) must not send to an
 * operator's terminal as they are: C0 controls (escape sequences that recolour, move the cursor
 * or retitle the window; a newline that forges a line of output), DEL, C1 controls, and the
 * Unicode characters that break or reorder lines (line and paragraph separators, bidirectional
 * overrides and isolates).
 */
// Matching control characters is the point here.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `text` for one line of a terminal or a log: every character of {@link UNPRINTABLE} written as its escape (`\x1b`, `\n`, `\u{202e}`). */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (char) => {
    const named = NAMED[char];
    if (named) return named;
    const code = char.codePointAt(0) ?? 0;
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/** Like {@link printable}, keeping the line breaks of a message made of several lines. */
export function printableLines(text: string): string {
  return text.split('\n').map(printable).join('\n');
}
