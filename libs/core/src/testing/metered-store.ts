import { Transform, type Readable } from 'node:stream';
import type {
  ObjectInfo,
  ObjectMetadata,
  ObjectStore,
  OpenStagedState,
  PutOptions,
  ResumedStaging,
  StagedObject,
  StagedRef,
  Staging,
  StagingOptions,
} from '../ports/object-store.js';
import { chain } from '../streams/chain.js';

/**
 * An ObjectStore that passes everything to another and counts the bytes handed to staging
 * (tests only): how a test shows that a refused file never got more than so far.
 */
export class MeteredStore implements ObjectStore {
  /** Bytes every staging's puts have received so far, over all files. */
  stagedBytes = 0;
  readonly description: string;
  /** Present exactly when the wrapped store tags objects. */
  readonly tag?: ObjectStore['tag'];

  constructor(private readonly inner: ObjectStore) {
    this.description = inner.description;
    this.tag = inner.tag?.bind(inner);
  }

  begin(options?: StagingOptions): Staging {
    const staging = this.inner.begin(options);
    return {
      put: (key: string, body: Readable, metadata?: ObjectMetadata, options?: PutOptions): Promise<StagedObject> => {
        const meter = new Transform({
          transform: (chunk: Buffer, _encoding, callback) => {
            this.stagedBytes += chunk.length;
            callback(null, chunk);
          },
        });
        return staging.put(key, chain(body, meter), metadata, options);
      },
      discard: (key) => staging.discard(key),
      commit: () => staging.commit(),
      abort: () => staging.abort(),
      refs: () => staging.refs(),
      rollback: () => staging.rollback(),
    };
  }

  resume(refs: readonly StagedRef[], options?: StagingOptions): Promise<ResumedStaging> {
    return this.inner.resume(refs, options);
  }

  openStaged(): AsyncIterable<OpenStagedState> {
    return this.inner.openStaged();
  }

  dropStaged(state: OpenStagedState): Promise<void> {
    return this.inner.dropStaged(state);
  }

  list(prefix: string): AsyncIterable<ObjectInfo> {
    return this.inner.list(prefix);
  }

  get(key: string): Promise<Readable | undefined> {
    return this.inner.get(key);
  }

  putSmall(key: string, body: Buffer | string, metadata?: ObjectMetadata): Promise<void> {
    return this.inner.putSmall(key, body, metadata);
  }

  putSmallIfAbsent(key: string, body: Buffer | string, metadata?: ObjectMetadata): Promise<boolean> {
    return this.inner.putSmallIfAbsent(key, body, metadata);
  }

  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }

  check(): Promise<void> {
    return this.inner.check();
  }
}
