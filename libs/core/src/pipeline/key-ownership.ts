import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { inject, injectable } from 'inversify';
import type { ConflictPolicy } from '../config/config-schema.js';
import { OctoError } from '../errors/octo-error.js';
import { TYPES, type ProviderContext } from '../ports/identifiers.js';
import type { Ledger } from '../ports/ledger.js';
import type { ObjectStore } from '../ports/object-store.js';
import { processAlive } from '../util/process-alive.js';

/** Where key claims live in a provider's bucket: `_octo/owners/<provider>/<sha256(key)>/<generation>.json`. */
const OWNERS_PREFIX = '_octo/owners/';

/** A claim from another machine whose file never recorded is stale after this long (its run is long gone). */
const CLAIM_LEASE_MS = 24 * 60 * 60 * 1000;

/** The body of a claim object: which source path owns an output key, and who wrote the claim. */
export interface KeyClaim {
  readonly key: string;
  readonly provider: string;
  readonly sourcePath: string;
  readonly jobId: string;
  readonly host: string;
  readonly pid: number;
  /** ISO time the claim was created. */
  readonly claimedAt: string;
}

/** A claim as found in the bucket: its body, its object key and its generation. */
export interface FoundClaim {
  readonly claim: KeyClaim;
  readonly claimKey: string;
  readonly generation: number;
}

/** A key this file may write: claimed just now (`created`, removed again if the file fails) or owned before. */
export interface OwnedKey {
  readonly key: string;
  readonly claimKey: string;
  readonly created: boolean;
  /** The source path already owned this key (a resend or a rerun). */
  readonly ownedBefore: boolean;
  /** A stale claim of another source was replaced (its unrecorded object may be visible). */
  readonly tookOver: boolean;
}

/** The outcome of claiming a key. */
export type ClaimResult = ({ readonly status: 'owned' } & OwnedKey) | { readonly status: 'conflict'; readonly key: string; readonly owner: KeyClaim };

/** A claim's object name within its key's folder: the generation, 8 digits, so listings sort by it. */
function generationName(generation: number): string {
  return `${String(generation).padStart(8, '0')}.json`;
}

/** Claims held by files in flight in this process (so a same-pid claim can be told live from left over). */
const inFlight = new Set<string>();

/**
 * Who owns each output key. A key belongs to the one source path that first claimed it; the
 * claim is a small object created with a conditional write, so the bucket, not process memory,
 * decides between files in flight in one job, in two jobs, or in two processes. A claim by
 * another source path is a conflict unless it is stale: its file never recorded in the ledger
 * and its process is provably gone (see {@link KeyOwnership.isStale}).
 */
@injectable()
export class KeyOwnership {
  constructor(
    @inject(TYPES.ProviderContext) private readonly provider: ProviderContext,
    @inject(TYPES.ObjectStore) private readonly store: ObjectStore,
    @inject(TYPES.Ledger) private readonly ledger: Ledger,
  ) {}

  /** The provider's conflict policy (`providers.<name>.conflicts`). */
  get policy(): ConflictPolicy {
    return this.provider.config.conflicts ?? 'fail';
  }

  /** The folder of one key's claims. */
  static claimPrefix(provider: string, key: string): string {
    return `${OWNERS_PREFIX}${provider}/${createHash('sha256').update(key).digest('hex')}/`;
  }

  /**
   * The key `keep-both` lands a conflicting output at: `~` and the first 8 hex digits of the
   * sha256 of the source path, before the extension (`report.csv` -> `report~1a2b3c4d.csv`).
   */
  static keepBothKey(key: string, sourcePath: string): string {
    const suffix = createHash('sha256').update(sourcePath).digest('hex').slice(0, 8);
    const ext = path.posix.extname(key);
    return `${key.slice(0, key.length - ext.length)}~${suffix}${ext}`;
  }

  /** The key's current claim (the highest generation), if any. */
  async current(key: string): Promise<FoundClaim | undefined> {
    const prefix = KeyOwnership.claimPrefix(this.provider.name, key);
    let last: string | undefined;
    for await (const object of this.store.list(prefix)) if (/^\d{8}\.json$/.test(object.key.slice(prefix.length))) last = object.key;
    if (!last) return undefined;
    const body = await this.store.get(last);
    // Removed between the listing and the read (a failed file released it): as if absent.
    if (!body) return undefined;
    let claim: KeyClaim;
    try {
      claim = JSON.parse(await text(body)) as KeyClaim;
    } catch (error) {
      throw new OctoError('store', `the claim ${last} of ${key} is not valid JSON (written by hand?); delete it, and the next source that maps to the key claims it`, { cause: error });
    }
    return { claim, claimKey: last, generation: Number(last.slice(prefix.length, prefix.length + 8)) };
  }

  /** Claims `key` for `sourcePath`: owned (new claim, or this path's own), or a conflict naming the owner. */
  async claim(key: string, sourcePath: string, jobId: string): Promise<ClaimResult> {
    const prefix = KeyOwnership.claimPrefix(this.provider.name, key);
    const body = (claimedAt = new Date()) =>
      `${JSON.stringify({ key, provider: this.provider.name, sourcePath, jobId, host: hostname(), pid: process.pid, claimedAt: claimedAt.toISOString() } satisfies KeyClaim, null, 2)}\n`;
    // Most keys are new: the first generation created outright costs one request, no listing.
    const firstKey = `${prefix}${generationName(1)}`;
    if (await this.store.putSmallIfAbsent(firstKey, body(), { 'content-type': 'application/json' })) {
      inFlight.add(firstKey);
      return { status: 'owned', key, claimKey: firstKey, created: true, ownedBefore: false, tookOver: false };
    }
    // Each lost race means someone else created a claim meanwhile; look again.
    for (let round = 0; round < 5; round += 1) {
      const found = await this.current(key);
      if (found && found.claim.sourcePath === sourcePath) {
        inFlight.add(found.claimKey);
        return { status: 'owned', key, claimKey: found.claimKey, created: false, ownedBefore: true, tookOver: false };
      }
      if (found && !(await this.isStale(found))) return { status: 'conflict', key, owner: found.claim };
      // No claim, or a stale one: the next generation, created only if nobody created it first.
      const claimKey = `${prefix}${generationName((found?.generation ?? 0) + 1)}`;
      if (await this.store.putSmallIfAbsent(claimKey, body(), { 'content-type': 'application/json' })) {
        inFlight.add(claimKey);
        return { status: 'owned', key, claimKey, created: true, ownedBefore: false, tookOver: found !== undefined };
      }
    }
    throw new OctoError('store', `${sourcePath}: could not claim ${key}: other writers kept claiming it at the same moment; it will be retried next run`);
  }

  /**
   * Claims an output's key under the provider's policy: the routed key when this source owns
   * it or it is free; under `keep-both` the suffixed key when another source owns it; otherwise
   * a `route` error that names both source paths.
   */
  async claimOutput(routed: string, sourcePath: string, jobId: string): Promise<OwnedKey> {
    const first = await this.claim(routed, sourcePath, jobId);
    if (first.status === 'owned') return first;
    if (this.policy === 'keep-both') {
      const beside = KeyOwnership.keepBothKey(routed, sourcePath);
      const second = await this.claim(beside, sourcePath, jobId);
      if (second.status === 'owned') return second;
      throw new OctoError(
        'route',
        `${sourcePath}: its output ${routed} belongs to ${first.owner.sourcePath}, and the keep-both key ${beside} belongs to ${second.owner.sourcePath}; nothing of this file was landed: rename the file at the source or change the folder rule`,
      );
    }
    throw new OctoError(
      'route',
      `${sourcePath}: its output ${routed} already belongs to ${first.owner.sourcePath}, another source file; nothing of this file was landed: rename one of them at the source, change the folder rule, or set conflicts: keep-both on the provider to land both`,
    );
  }

  /** The owner of `key` if it is another source path with a live or recorded claim (for dry runs). */
  async conflictingOwner(key: string, sourcePath: string): Promise<KeyClaim | undefined> {
    const found = await this.current(key);
    if (!found || found.claim.sourcePath === sourcePath) return undefined;
    return (await this.isStale(found)) ? undefined : found.claim;
  }

  /**
   * A claim is stale, and may be taken over, when its source never recorded an output at that
   * key in the ledger and its writer is provably gone: this process with the file no longer in
   * flight, another process on this host that no longer runs, or another host after
   * {@link CLAIM_LEASE_MS}. Crash recovery, holding the provider's lock, may treat any claim
   * whose job is not running as gone.
   */
  async isStale(found: FoundClaim): Promise<boolean> {
    const { claim } = found;
    const sameHost = claim.host === hostname();
    const live = sameHost
      ? claim.pid === process.pid
        ? inFlight.has(found.claimKey)
        : processAlive(claim.pid)
      : Date.now() - Date.parse(claim.claimedAt) < CLAIM_LEASE_MS;
    if (live) return false;
    const records = await this.ledger.recordsFor(this.provider.name, claim.sourcePath);
    return !records.some(({ record }) => record.outputs.some((output) => output.key === claim.key));
  }

  /** The file's outputs landed and recorded: its claims stay (they own the keys) but are no longer in flight. */
  settle(owned: readonly OwnedKey[]): void {
    for (const key of owned) inFlight.delete(key.claimKey);
  }

  /** The file failed: claims it created are removed (the keys are free again), and none stays in flight. */
  async release(owned: readonly OwnedKey[]): Promise<void> {
    for (const key of owned) {
      inFlight.delete(key.claimKey);
      if (!key.created) continue;
      // A first generation taken over meanwhile stays: removing it would let the next claimant
      // create it again beside the newer owner (claims start by trying the first generation).
      const current = await this.current(key.key);
      if (current && current.claimKey !== key.claimKey && current.generation > 1) continue;
      await this.store.delete(key.claimKey);
    }
  }
}
