import type { ObjectMetadata } from '../../ports/object-store.js';

/** S3 user metadata must be ASCII; `content-type` is a header, not user metadata. */
export function splitMetadata(metadata: ObjectMetadata): { contentType?: string; userMetadata: Record<string, string> } {
  const userMetadata: Record<string, string> = {};
  let contentType: string | undefined;
  for (const [name, value] of Object.entries(metadata)) {
    if (name.toLowerCase() === 'content-type') {
      contentType = value;
      continue;
    }
    userMetadata[name.toLowerCase()] = /^[\x20-\x7e]*$/.test(value) ? value : encodeURIComponent(value);
  }
  return { contentType, userMetadata };
}
