/** S3's hard limits for multipart uploads. */
export const S3_LIMITS = {
  minPartBytes: 5 * 1024 * 1024,
  maxPartBytes: 5 * 1024 * 1024 * 1024,
  maxParts: 10_000,
} as const;

/**
 * The upload settings' defaults (`store.partSizeMiB`, `store.queueSize`). Memory per object being
 * uploaded is about part size x (queue size + 1): 32 MiB with these. 8 MiB is the AWS CLI's part
 * size; 3 parts in flight kept the 2 GiB bench file into S3 under 256 MiB peak RSS at the speed
 * of 4 (docs/performance.md). A far-away S3 endpoint may want more in flight.
 */
export const DEFAULT_PART_SIZE_MIB = 8;
export const DEFAULT_QUEUE_SIZE = 3;

/** Parts uploaded before the part size doubles. */
const PARTS_PER_STEP = 800;

/**
 * The size of part `partNumber` (1-based) of an upload whose total size is not known in
 * advance (a decompressed or unpacked stream). The first 800 parts use `baseBytes`, then
 * the size doubles every 800 parts (capped at 5 GiB), so 10,000 parts reach S3's 5 TiB
 * object limit from any base instead of stopping at base x 10,000. Memory stays bounded by
 * the current part size times the queue size, and small files never pay for large parts.
 */
export function partSizeFor(partNumber: number, baseBytes: number): number {
  const step = Math.floor((partNumber - 1) / PARTS_PER_STEP);
  return Math.min(S3_LIMITS.maxPartBytes, Math.max(S3_LIMITS.minPartBytes, baseBytes) * 2 ** step);
}

/** The largest object 10,000 parts can hold with this base part size. */
export function maxObjectBytes(baseBytes: number): number {
  let total = 0;
  for (let part = 1; part <= S3_LIMITS.maxParts; part += 1) total += partSizeFor(part, baseBytes);
  return total;
}
