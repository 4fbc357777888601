import type { RemoteFile } from '../ports/remote-source.js';

/**
 * Pairs every `X.sig` with `X`: the data file gets `signaturePath`, and `.sig` files are
 * never returned as data. A `.sig` without its data file is dropped (it waits for its file).
 * A `.sig` the source refused (a symbolic link) refuses its data file too, naming why.
 */
export function pairSignatures(files: readonly RemoteFile[]): RemoteFile[] {
  const byPath = new Map(files.map((file) => [file.path, file]));
  const result: RemoteFile[] = [];
  for (const file of files) {
    if (file.path.toLowerCase().endsWith('.sig')) continue;
    const sig = byPath.get(`${file.path}.sig`) ?? byPath.get(`${file.path}.SIG`);
    result.push(sig ? withSignature(file, sig) : file);
  }
  return result;
}

function withSignature(file: RemoteFile, sig: RemoteFile): RemoteFile {
  return {
    ...file,
    signaturePath: sig.path,
    ...(sig.rawPath === undefined ? {} : { signatureRawPath: sig.rawPath }),
    ...(sig.refused === undefined || file.refused !== undefined ? {} : { refused: `its signature ${sig.refused}` }),
  };
}
