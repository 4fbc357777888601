/** How the bytes of a name were read. */
export type NameEncoding = 'utf-8' | 'windows-1252' | 'cp437';

/** A name read from raw bytes, and the encoding the rule chose. */
export interface DecodedName {
  readonly name: string;
  readonly encoding: NameEncoding;
}

// ignoreBOM: a name that starts with U+FEFF keeps it (otherwise two names would read alike).
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const windows1252 = new TextDecoder('windows-1252', { ignoreBOM: true });

// The IBM PC character set the zip format (APPNOTE, appendix D) names for entries without the UTF-8 flag.
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

/**
 * Reads a name's bytes by Octo's documented rule: bytes that are valid UTF-8 are used as
 * they are; anything else is read in `fallback` (Windows-1252 for source files and tar
 * entries, as old Windows tools write them; CP437 for zip entries without the UTF-8 flag,
 * as the zip format specifies). Both fallbacks map every byte to one character, so two
 * different byte strings never read as one name under the same rule.
 */
export function decodeNameBytes(bytes: Uint8Array, fallback: 'windows-1252' | 'cp437' = 'windows-1252'): DecodedName {
  try {
    return { name: strictUtf8.decode(bytes), encoding: 'utf-8' };
  } catch {
    if (fallback === 'windows-1252') return { name: windows1252.decode(bytes), encoding: 'windows-1252' };
    let name = '';
    for (const byte of bytes) name += byte < 0x80 ? String.fromCharCode(byte) : CP437_HIGH[byte - 0x80];
    return { name, encoding: 'cp437' };
  }
}

/**
 * Bytes as text that survives JSON and logs: printable ASCII other than `%` stays, every
 * other byte is `%XX` (upper-case hex). {@link percentDecodeBytes} reverses it exactly.
 */
export function percentEncodeBytes(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) {
    text += byte > 0x20 && byte < 0x7f && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return text;
}

/** The bytes that {@link percentEncodeBytes} wrote as `text`. */
export function percentDecodeBytes(text: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i += 1) {
    if (text[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(text[i] ?? '', 'utf8'));
    }
  }
  return Buffer.from(bytes);
}
