/** A layer Octo can peel from a file, outermost first. */
export type Layer = 'pgp' | 'gzip' | 'tar' | 'zip';

const EXTENSIONS: ReadonlyArray<{ ext: string; layers: Layer[]; replace: string }> = [
  { ext: '.tar.gz', layers: ['gzip', 'tar'], replace: '' },
  { ext: '.tgz', layers: ['gzip', 'tar'], replace: '' },
  { ext: '.gpg', layers: ['pgp'], replace: '' },
  { ext: '.pgp', layers: ['pgp'], replace: '' },
  { ext: '.asc', layers: ['pgp'], replace: '' },
  { ext: '.gz', layers: ['gzip'], replace: '' },
  { ext: '.tar', layers: ['tar'], replace: '' },
  { ext: '.zip', layers: ['zip'], replace: '' },
];

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
  for (;;) {
    const lower = rest.toLowerCase();
    const match = EXTENSIONS.find((candidate) => lower.endsWith(candidate.ext) && rest.length > candidate.ext.length);
    if (!match) break;
    // Only the outermost pgp layer is decrypted; an inner `.asc` is data (e.g. a key file in a tar).
    if (match.layers[0] === 'pgp' && layers.length > 0) break;
    layers.push(...match.layers);
    rest = rest.slice(0, rest.length - match.ext.length) + match.replace;
    if (match.layers.includes('tar') || match.layers.includes('zip')) break;
  }
  return { layers, outputName: rest, archive: layers.includes('tar') || layers.includes('zip') };
}

/** The outermost compression or archive layer of a name (pgp excluded), for the unpacker. */
export function outerUnpackLayer(name: string): { layer: 'gzip' | 'tar' | 'zip'; inner: string } | undefined {
  const lower = name.toLowerCase();
  if (lower.endsWith('.tgz') && name.length > 4) return { layer: 'gzip', inner: `${name.slice(0, -4)}.tar` };
  for (const [ext, layer] of [['.gz', 'gzip'], ['.tar', 'tar'], ['.zip', 'zip']] as const) {
    if (lower.endsWith(ext) && name.length > ext.length) return { layer, inner: name.slice(0, -ext.length) };
  }
  return undefined;
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
