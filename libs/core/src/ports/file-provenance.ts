/**
 * Which keys vouched for a source file, as its checks learned it: kept in the file's ledger
 * record, so an audit (or a key rotation) can tell which key decrypted and which signed each file.
 */
export interface FileProvenance {
  /**
   * The private key that decrypted a public-key message: its primary fingerprint and the (sub)key id
   * the message named; `retiredSince`, its `retiresAt` date, when the key was already past it.
   */
  readonly decryptedBy?: { readonly fingerprint: string; readonly keyId: string; readonly retiredSince?: string };
  /** The key that made the file's detached signature, and the time the signature states. */
  readonly signedBy?: { readonly keyId: string; readonly fingerprint: string; readonly signedAt: string };
}

/** The facts of several checks as one (each check reports its own part). */
export function mergeProvenance(parts: ReadonlyArray<FileProvenance | void>): FileProvenance | undefined {
  const merged: { decryptedBy?: FileProvenance['decryptedBy']; signedBy?: FileProvenance['signedBy'] } = {};
  for (const part of parts) {
    if (part?.decryptedBy) merged.decryptedBy = part.decryptedBy;
    if (part?.signedBy) merged.signedBy = part.signedBy;
  }
  return merged.decryptedBy || merged.signedBy ? merged : undefined;
}

/** `{ retiredKey }`, the fingerprint of the key that decrypted the file when it was past its `retiresAt` date (counted by the metrics). */
export function retiredKeyOf(provenance: FileProvenance | undefined): { retiredKey?: string } {
  const decryptedBy = provenance?.decryptedBy;
  return decryptedBy?.retiredSince ? { retiredKey: decryptedBy.fingerprint } : {};
}
