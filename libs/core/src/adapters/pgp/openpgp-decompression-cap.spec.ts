import { Readable } from 'node:stream';
import * as openpgp from 'openpgp';
import { describe, expect, it } from 'vitest';
import { decryptionSchema } from '../../config/config-schema.js';
import type { ProviderContext } from '../../ports/identifiers.js';
import { SecretResolver } from '../../secrets/secret-ref.js';
import { BACKSTOP_SLACK_BYTES, UnpackBudget } from '../../streams/byte-limit.js';
import { OpenPgpDecryptor } from './openpgp-decryptor.js';

const MiB = 1024 * 1024;

// The pipeline bounds the decrypted stream itself; openpgp.js's own cap, set from the budget,
// is the backstop for any path where the library would decompress without being read.
describe(`${OpenPgpDecryptor.name} decompression cap`, () => {
  it('should stop openpgp.js at the budget plus its slack even when nothing else bounds the stream', async () => {
    const message = await openpgp.createMessage({ binary: new Uint8Array(BACKSTOP_SLACK_BYTES + 16 * MiB) });
    const encrypted = await openpgp.encrypt({ message, passwords: ['pw'], format: 'binary', config: { preferredCompressionAlgorithm: openpgp.enums.compression.zlib } });
    expect(encrypted.length).toBeLessThan(MiB);
    const decryptor = new OpenPgpDecryptor(
      { name: 'p', config: { decryption: decryptionSchema.parse({ passphrase: 'env:PASS' }) } } as unknown as ProviderContext,
      new SecretResolver('/', { PASS: 'pw' }),
    );
    const budget = new UnpackBudget(MiB);
    const result = await decryptor.decrypt(Readable.from([Buffer.from(encrypted)]), { provider: 'p', jobId: 'j', file: { path: 'zeros.csv.gpg', size: encrypted.length, mtimeMs: 0 }, budget });
    result.verified.catch(() => undefined);
    let bytes = 0;
    const read = (async () => {
      for await (const chunk of result.stream) bytes += (chunk as Buffer).length;
    })();
    // Whatever the decryptor calls it, the stream must fail rather than run to its end.
    await expect(read).rejects.toThrow();
    expect(bytes).toBeLessThanOrEqual(budget.backstopBytes);
    expect(bytes).toBeGreaterThan(budget.backstopBytes - 4 * MiB);
  });
});
