import { GetObjectTaggingCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type ObjectStore } from '@octo/core';
import { objectStoreContract, S3ObjectStore, WHOLE_PUT_MAX_BYTES } from '@octo/core/testing';
import { startMotoS3, testS3Client, type MotoS3Server } from '../moto-s3-server.js';
import { createBucket } from '../s3-inspect.js';

let moto: MotoS3Server | undefined;
let reader: S3Client | undefined;
const stores: S3ObjectStore[] = [];

/** The SDK's view of a store's object, by its full key under the store's prefix. */
const where = (store: ObjectStore, key: string) => ({ Bucket: (store as S3ObjectStore).bucket, Key: (store as S3ObjectStore).keyOf(key) });

objectStoreContract('S3ObjectStore on moto', {
  // Whole puts (up to WHOLE_PUT_MAX_BYTES) wait in memory for the commit; larger outputs are multipart uploads.
  durableFromBytes: WHOLE_PUT_MAX_BYTES + 1,
  async create() {
    moto ??= await startMotoS3();
    reader ??= moto.client();
    const bucket = `octo-contract-${stores.length + 1}`;
    await createBucket(reader, bucket);
    const store = new S3ObjectStore({ location: { bucket, prefix: 'landing/' }, client: testS3Client(moto.endpoint), partSizeBytes: 5 * 1024 * 1024, queueSize: 2 });
    stores.push(store);
    return store;
  },
  async metadataOf(store, key) {
    return (await reader!.send(new HeadObjectCommand(where(store, key)))).Metadata ?? {};
  },
  async tagsOf(store, key) {
    const answer = await reader!.send(new GetObjectTaggingCommand(where(store, key)));
    return Object.fromEntries((answer.TagSet ?? []).map((tag) => [tag.Key, tag.Value]));
  },
  async dispose() {
    for (const store of stores) store.client.destroy();
    reader?.destroy();
    await moto?.stop();
  },
});
