import * as tar from 'tar-stream';

/** A tar archive of regular files, built in memory (tests only). */
export async function tarOf(entries: ReadonlyArray<readonly [string, Buffer | string]>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, body] of entries) pack.entry({ name }, Buffer.from(body));
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}
