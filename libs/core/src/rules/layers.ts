/** A layer Octo can peel from a file, outermost first. */
export type Layer = 'pgp' | Compression | 'tar' | 'zip';

/** A compression layer: one stream in, one stream out. */
export type Compression = 'gzip' | 'bzip2' | 'xz' | 'zstd';

/** Longest first: `.tar.bz2` must win over `.bz2`. */
const EXTENSIONS: ReadonlyArray<{ readonly ext: string; readonly layers: readonly Layer[] }> = [
  { ext: '.tar.gz', layers: ['gzip', 'tar'] },
  { ext: '.tar.bz2', layers: ['bzip2', 'tar'] },
  { ext: '.tar.xz', layers: ['xz', 'tar'] },
  { ext: '.tar.zst', layers: ['zstd', 'tar'] },
  { ext: '.tgz', layers: ['gzip', 'tar'] },
  { ext: '.tbz2', layers: ['bzip2', 'tar'] },
  { ext: '.tbz', layers: ['bzip2', 'tar'] },
  { ext: '.txz', layers: ['xz', 'tar'] },
  { ext: '.tzst', layers: ['zstd', 'tar'] },
  { ext: '.gpg', layers: ['pgp'] },
  { ext: '.pgp', layers: ['pgp'] },
  { ext: '.asc', layers: ['pgp'] },
  { ext: '.gz', layers: ['gzip'] },
  { ext: '.bz2', layers: ['bzip2'] },
  { ext: '.xz', layers: ['xz'] },
  { ext: '.zst', layers: ['zstd'] },
  { ext: '.tar', layers: ['tar'] },
  { ext: '.zip', layers: ['zip'] },
];

/** The layer extension a name ends with (case-insensitive), and the name without it. */
function outerExtension(name: string): { layers: readonly Layer[]; stem: string } | undefined {
  const lower = name.toLowerCase();
  const match = EXTENSIONS.find((candidate) => lower.endsWith(candidate.ext) && name.length > candidate.ext.length);
  return match && { layers: match.layers, stem: name.slice(0, name.length - match.ext.length) };
}

/** The layers named by a file's extensions, outermost first, and the name left once they are stripped. */
export interface LayerPlan {
  readonly layers: readonly Layer[];
  /** `report.csv.gz.gpg` -> `report.csv`; an archive's stem (`bundle.tar.gz` -> `bundle`). */
  readonly outputName: string;
  readonly archive: boolean;
}

/** Reads layers from the end of the name, case-insensitively: `report.CSV.GZ.gpg` is pgp, then gzip. */
export function planLayers(name: string): LayerPlan {
  const layers: Layer[] = [];
  let rest = name;
  for (let outer = outerExtension(rest); outer; outer = outerExtension(rest)) {
    // Only the outermost pgp layer is decrypted; an inner `.asc` is data (e.g. a key file in a tar).
    if (outer.layers[0] === 'pgp' && layers.length > 0) break;
    layers.push(...outer.layers);
    rest = outer.stem;
    // What is inside an archive is named by its entries, not by the archive's name.
    if (outer.layers.includes('tar') || outer.layers.includes('zip')) break;
  }
  return { layers, outputName: rest, archive: layers.includes('tar') || layers.includes('zip') };
}

/** The name of the plaintext when the outermost layer is OpenPGP (`x.csv.gz.gpg` -> `x.csv.gz`), else the name itself. */
export function decryptedName(name: string): string {
  const outer = outerExtension(name);
  return outer?.layers[0] === 'pgp' ? outer.stem : name;
}

/** The outermost compression or archive layer of a name (pgp excluded), for the unpacker. */
export function outerUnpackLayer(name: string): { layer: Exclude<Layer, 'pgp'>; inner: string } | undefined {
  const outer = outerExtension(name);
  const [layer, ...below] = outer?.layers ?? [];
  if (!outer || !layer || layer === 'pgp') return undefined;
  // `.tgz` and `.tar.gz` (and `.txz`, `.tar.zst`, ...) are a compression over a `.tar`.
  return { layer, inner: below.includes('tar') ? `${outer.stem}.tar` : outer.stem };
}

/** Formats Octo recognises by their magic bytes but does not read, named in its messages. */
const UNREADABLE_MAGIC: ReadonlyArray<{ readonly magic: Buffer; readonly format: string }> = [
  { magic: Buffer.from('377abcaf271c', 'hex'), format: 'a 7-Zip archive' },
  { magic: Buffer.from('Rar!\x1a\x07', 'latin1'), format: 'a RAR archive' },
  { magic: Buffer.from('04224d18', 'hex'), format: 'LZ4 data' },
  { magic: Buffer.from('LZIP', 'latin1'), format: 'lzip data' },
  { magic: Buffer.from('1f9d', 'hex'), format: "Unix compress (.Z) data" },
  { magic: Buffer.from('MSCF', 'latin1'), format: 'a Microsoft Cabinet archive' },
];

/** Formats recognised by extension that Octo does not read: a file so named fails, naming its format. */
const UNREADABLE_EXTENSIONS: ReadonlyArray<{ readonly ext: string; readonly format: string }> = [
  { ext: '.7z', format: 'a 7-Zip archive' },
  { ext: '.rar', format: 'a RAR archive' },
  { ext: '.lz4', format: 'LZ4 data' },
  { ext: '.lz', format: 'lzip data' },
  { ext: '.z', format: 'Unix compress (.Z) data' },
  { ext: '.cab', format: 'a Microsoft Cabinet archive' },
];

/** The format a name's extension says Octo cannot read (`x.7z` -> "a 7-Zip archive"), if any. */
export function unreadableFormat(name: string): string | undefined {
  const lower = name.toLowerCase();
  return UNREADABLE_EXTENSIONS.find((candidate) => lower.endsWith(candidate.ext) && name.length > candidate.ext.length)?.format;
}

/** What the first bytes of a stream say it is. */
export function sniff(head: Buffer): 'pgp-armored' | 'pgp-binary' | Compression | 'zip' | 'tar' | 'unknown' {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  // "BZh" and the block size digit 1-9.
  if (head.length >= 4 && head.subarray(0, 3).toString('latin1') === 'BZh' && (head[3] ?? 0) >= 0x31 && (head[3] ?? 0) <= 0x39) return 'bzip2';
  if (head.length >= 6 && head.subarray(0, 6).equals(XZ_MAGIC)) return 'xz';
  if (head.length >= 4 && head.readUInt32LE(0) === ZSTD_MAGIC) return 'zstd';
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 0x03 || head[2] === 0x05) && (head[3] === 0x04 || head[3] === 0x06)) {
    return 'zip';
  }
  if (head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
  const text = head.subarray(0, 64).toString('latin1').trimStart();
  if (text.startsWith('-----BEGIN PGP MESSAGE-----')) return 'pgp-armored';
  const first = head[0];
  if (first !== undefined && (first & 0x80) !== 0) {
    const tag = (first & 0x40) !== 0 ? first & 0x3f : (first >> 2) & 0x0f;
    // Public-key or symmetric session key, or encrypted data: how every encrypted message starts.
    if ([1, 3, 9, 18, 20].includes(tag)) return 'pgp-binary';
  }
  return 'unknown';
}

const XZ_MAGIC = Buffer.from('fd377a585a00', 'hex');
const ZSTD_MAGIC = 0xfd2fb528;

/** A short description of the first bytes for error messages: a format Octo knows of but does not read, or a hex excerpt. */
export function describeHead(head: Buffer): string {
  if (head.length === 0) return 'nothing (the file is empty, 0 bytes)';
  const known = UNREADABLE_MAGIC.find(({ magic }) => head.length >= magic.length && head.subarray(0, magic.length).equals(magic));
  const hex = `bytes ${head.subarray(0, 8).toString('hex').replace(/(..)/g, '$1 ').trim()}`;
  return known ? `${known.format} (${hex}), a format Octo does not read` : hex;
}
