/** A layer Octo can peel from a file, outermost first. */
export type Layer = 'pgp' | 'gzip' | 'tar' | 'zip';

const EXTENSIONS: ReadonlyArray<{ readonly ext: string; readonly layers: readonly Layer[] }> = [
  { ext: '.tar.gz', layers: ['gzip', 'tar'] },
  { ext: '.tgz', layers: ['gzip', 'tar'] },
  { ext: '.gpg', layers: ['pgp'] },
  { ext: '.pgp', layers: ['pgp'] },
  { ext: '.asc', layers: ['pgp'] },
  { ext: '.gz', layers: ['gzip'] },
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
export function outerUnpackLayer(name: string): { layer: 'gzip' | 'tar' | 'zip'; inner: string } | undefined {
  const outer = outerExtension(name);
  const [layer, ...below] = outer?.layers ?? [];
  if (!outer || !layer || layer === 'pgp') return undefined;
  // `.tgz` and `.tar.gz` are gzip over a `.tar`.
  return { layer, inner: below.includes('tar') ? `${outer.stem}.tar` : outer.stem };
}

/** What the first bytes of a stream say it is. */
export function sniff(head: Buffer): 'pgp-armored' | 'pgp-binary' | 'gzip' | 'zip' | 'tar' | 'unknown' {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
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

/** A short hex excerpt of the first bytes, for error messages. */
export function describeHead(head: Buffer): string {
  return head.length === 0 ? 'an empty file' : `bytes ${head.subarray(0, 8).toString('hex').replace(/(..)/g, '$1 ').trim()}`;
}
