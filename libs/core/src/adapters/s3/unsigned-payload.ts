import type { UploadPartCommand } from '@aws-sdk/client-s3';

/**
 * Signs a part's request without hashing its body (`UNSIGNED-PAYLOAD`): SigV4 would otherwise
 * read every byte again for a sha256 on top of the part's SDK checksum. S3 verifies that
 * checksum (CRC32 by default) against the bytes it stored, and the ledger's sha256 is Octo's own.
 */
export function signWithoutPayloadHash(command: UploadPartCommand): void {
  command.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
      return next(args);
    },
    { step: 'build', name: 'octoUnsignedPayload' },
  );
}
