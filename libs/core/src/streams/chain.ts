import { pipeline, type Readable, type Transform, type Writable } from 'node:stream';

/**
 * Pipes `source` through `stages` and returns the last stream. Unlike `.pipe`, an error
 * anywhere destroys every stream and surfaces on the returned one, so a consumer of the
 * end of a chain always learns why its input stopped.
 */
export function chain(source: Readable, ...stages: Array<Transform | (Writable & Readable)>): Readable {
  const last = stages[stages.length - 1] ?? source;
  if (stages.length === 0) return source;
  pipeline(source, ...(stages as [Transform]), (error) => {
    if (error && !last.destroyed) last.destroy(error);
  });
  // pipeline destroys streams without the error in some cases; forward the first error seen.
  for (const stream of [source, ...stages]) {
    if (stream !== last) stream.once('error', (error) => { if (!last.destroyed) last.destroy(error); });
  }
  return last as Readable;
}
