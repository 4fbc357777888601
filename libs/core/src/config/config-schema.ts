import { z } from 'zod';
import { jobsConfigSchema, queueUrlSchema } from '../jobs/jobs-config-schema.js';
import { scheduleConfigSchema } from '../jobs/schedule-config-schema.js';
import { SECRET_REF_PATTERN } from '../secrets/secret-ref.js';
import { failurePolicyShape } from './failure-policy-schema.js';
import { notifySchema } from './notify-schema.js';
import { expectationConfigSchema } from '../arrival/expectation-config-schema.js';
import { lineageConfigSchema } from '../lineage/lineage-config-schema.js';
import { afterIngestConfigSchema } from '../post-ingest/after-ingest-config-schema.js';
import { readyConfigSchema } from '../pipeline/ready-config-schema.js';
import { DEFAULT_PART_SIZE_MIB, DEFAULT_QUEUE_SIZE } from '../adapters/s3/part-size.js';
import { transformConfigSchema, validateConfigSchema } from '../transform/entry-stage-config.js';

/** A secret reference (`env:NAME` or `file:PATH`); a literal secret is refused. */
export const secretRefSchema = z
  .string()
  .regex(SECRET_REF_PATTERN, 'expected a secret reference such as env:NAME or file:PATH, never the secret itself');

/** An SSH host key fingerprint as `ssh-keygen -l` prints it. */
const sshFingerprintSchema = z.string().regex(/^SHA256:[A-Za-z0-9+/=]+$/, 'expected SHA256:<base64> as ssh-keygen -l prints it');

/** SSH algorithm lists by kind, in ssh2's names (e.g. `cipher: [aes256-cbc]`, `kex: [diffie-hellman-group14-sha1]`). */
const sshAlgorithmsSchema = z
  .object({
    kex: z.array(z.string()).min(1).optional(),
    cipher: z.array(z.string()).min(1).optional(),
    serverHostKey: z.array(z.string()).min(1).optional(),
    hmac: z.array(z.string()).min(1).optional(),
  })
  .strict();

/** A SOCKS5 (`socks5://host:port`) or HTTP CONNECT (`http://host:port`) proxy in front of an SFTP server. */
const sftpProxySchema = z
  .object({
    url: z.string().regex(/^(socks5|http):\/\/[^/@]+(:\d+)?\/?$/, 'expected socks5://host:port or http://host:port (credentials go in username and password)'),
    username: secretRefSchema.optional(),
    password: secretRefSchema.optional(),
  })
  .strict();

/** An SSH jump host (bastion): its own URL, pinned host key and credentials. */
const jumpHostSchema = z
  .object({
    url: z.string().regex(/^ssh:\/\/[^:@/]+@[^/]+\/?$/, 'expected ssh://user@host:port'),
    hostKey: z.union([sshFingerprintSchema, z.array(sshFingerprintSchema).min(1)]).optional(),
    knownHosts: z.string().optional(),
    acceptUnknownHostKey: z.boolean().default(false),
    privateKey: secretRefSchema.optional(),
    privateKeyPassphrase: secretRefSchema.optional(),
    password: secretRefSchema.optional(),
  })
  .strict();

const sourceObjectSchema = z
  .object({
    /** `file://PATH` (local folder) or `sftp://user@host:port/path`. */
    url: z.string().regex(/^(file|sftp):\/\//, 'expected a URL starting with file:// or sftp://'),
    /** Look in sub-folders too. */
    recursive: z.boolean().default(true),
    /** Files modified less than this many seconds ago are left for the next run. */
    minAgeSeconds: z.number().nonnegative().default(0),
    /** Look twice this many milliseconds apart; a file whose size changed is left for the next run. */
    stabilityCheckMs: z.number().int().nonnegative().default(0),
    /** At most this many files per run, oldest first; the next run continues with the rest. */
    maxFilesPerPoll: z.number().int().positive().optional(),
    /** SFTP: pinned host key as `SHA256:<base64>` (as `ssh-keygen -lf` prints it), or several (old and new during a rotation). */
    hostKey: z.union([sshFingerprintSchema, z.array(sshFingerprintSchema).min(1)]).optional(),
    /** SFTP: a known_hosts file to pin the host key from. */
    knownHosts: z.string().optional(),
    /** SFTP: first contact only: accept an unpinned host key, log it loudly and print its fingerprint to pin. */
    acceptUnknownHostKey: z.boolean().default(false),
    /** SFTP: the user's private key, as a secret reference. */
    privateKey: secretRefSchema.optional(),
    /** SFTP: the private key's passphrase, as a secret reference. */
    privateKeyPassphrase: secretRefSchema.optional(),
    /** SFTP: password, as a secret reference. */
    password: secretRefSchema.optional(),
    connectTimeoutMs: z.number().int().positive().default(20_000),
    readTimeoutMs: z.number().int().positive().default(60_000),
    /** SFTP: how many connections files are read over at once. */
    connections: z.number().int().min(1).max(16).default(2),
    /** SFTP: reconnect attempts when a transfer drops mid-file. */
    resumeRetries: z.number().int().min(0).max(20).default(5),
    /** SFTP: answer the server's keyboard-interactive prompts with source.password (servers that offer no plain password login). */
    keyboardInteractive: z.boolean().optional(),
    /** SFTP: the SSH algorithms to offer, replacing ssh2's defaults per kind: an explicit, logged opt-in for a legacy partner. */
    algorithms: sshAlgorithmsSchema.optional(),
    /** SFTP: files read at once over one connection (some servers allow few open handles). */
    maxOpenFiles: z.number().int().min(1).max(64).optional(),
    /** SFTP: several read requests in flight per file (default); false reads one request at a time, for servers that break under parallel reads. */
    parallelReads: z.boolean().optional(),
    /** SFTP: the SSH channel receive window in MiB; above ssh2's fixed 2 MiB for a far-away server, where 2 MiB per round trip caps one file's read. Costs memory at high rates. */
    receiveWindowMiB: z.number().int().min(2).max(64).optional(),
    /** SFTP: reach the server through a SOCKS5 or HTTP CONNECT proxy. */
    proxy: sftpProxySchema.optional(),
    /** SFTP: reach the server through an SSH jump host (bastion). */
    jumpHost: jumpHostSchema.optional(),
  })
  .strict();

/** A provider's drop: a URL string, or an object with the URL and its options. */
const sourceSchema = z
  .union([z.string(), sourceObjectSchema])
  .transform((value) => (typeof value === 'string' ? { url: value } : value))
  .pipe(sourceObjectSchema);

/** An OpenPGP fingerprint (40 or 64 hex digits), normalised to upper case without spaces. */
const openPgpFingerprintSchema = z
  .string()
  .transform((value) => value.replace(/\s+/g, '').toUpperCase())
  .pipe(z.string().regex(/^([0-9A-F]{40}|[0-9A-F]{64})$/, 'expected an OpenPGP fingerprint: 40 (or 64) hex digits, as gpg --fingerprint prints it'));

export const decryptionSchema = z
  .object({
    /** For messages encrypted with a passphrase (symmetric). */
    passphrase: secretRefSchema.optional(),
    /** For messages encrypted to a public key: the armored private keys. */
    privateKeys: z
      .array(
        z
          .object({
            key: secretRefSchema,
            passphrase: secretRefSchema.optional(),
            /** From this date (YYYY-MM-DD, UTC) the key still decrypts, but each use is reported, and `octo check` says so. */
            retiresAt: z.iso.date('expected a date as YYYY-MM-DD').optional(),
          })
          .strict(),
      )
      .default([]),
    /** Detached signatures: `required` refuses a file without a good `.sig`; `if-present` checks one when found. */
    signature: z.enum(['required', 'if-present', 'ignore']).default('if-present'),
    /** Public keys that signatures must come from (armored), required when signature is not `ignore` and a `.sig` is checked. */
    verificationKeys: z.array(secretRefSchema).default([]),
    /** When set, only signatures by these keys are accepted (OpenPGP fingerprints, hex, as `gpg --fingerprint` prints them, spaces allowed). */
    allowedSigners: z.array(openPgpFingerprintSchema).default([]),
    /** What decrypts: `openpgp` (openpgp.js, in process), `gnupg` (a gpg child per file; every cipher GnuPG has) or `auto` (openpgp.js below 2 MiB, gpg from 2 MiB; openpgp.js alone where gpg cannot run). */
    engine: z.enum(['openpgp', 'gnupg', 'auto']).default('auto'),
  })
  .strict();

/** What happens when a source maps to an object key that another source path owns. */
export const conflictPolicySchema = z.enum(['fail', 'keep-both']);

export const providerConfigSchema = z
  .object({
    /** The plugin that implements this provider; defaults to the provider's name. */
    plugin: z.string().optional(),
    source: sourceSchema,
    /** Glob patterns (picomatch) on the path relative to the source root. */
    include: z.array(z.string()).default(['**/*']),
    exclude: z.array(z.string()).default([]),
    /** The bucket this provider lands in, optionally with a key prefix: `bucket` or `bucket/prefix`. */
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[A-Za-z0-9!_.*'()/-]*)?$/, 'expected a bucket name (3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit), optionally followed by /prefix'),
    decryption: decryptionSchema.default({ privateKeys: [], signature: 'if-present', verificationKeys: [], allowedSigners: [], engine: 'auto' }),
    /** Files of this provider processed at once; defaults to the global concurrency. */
    concurrency: z.number().int().min(1).max(64).optional(),
    /** When a source maps to a key another source owns: `fail` the file, or `keep-both` under a suffixed key. */
    conflicts: conflictPolicySchema.default('fail'),
    /** Plugin-specific settings, validated by the plugin's own schema. */
    settings: z.unknown().optional(),
    /** Webhooks told about this provider's jobs (besides the global ones). */
    notify: notifySchema.optional(),
    /** When `octo serve` syncs this provider on its own: a cron expression (with a time zone) or an interval. */
    schedule: scheduleConfigSchema.optional(),
    /** When something new must have arrived (`by: "06:00", days: mon-fri`); a late provider is alerted and shown. */
    expect: expectationConfigSchema.optional(),
    /** Move (to an archive folder) or delete each source file on the partner's server once it is in the ledger. */
    afterIngest: afterIngestConfigSchema.optional(),
    /** Take a file only when its ready marker (or its folder's batch marker) exists. */
    ready: readyConfigSchema.optional(),
    /** Rewrites of each matching entry before it lands (charset to UTF-8, line endings, BOM); see README. */
    transform: transformConfigSchema.optional(),
    /** Checks of each matching entry (UTF-8, CSV header, columns, rows, trailer); a failed check fails the file. */
    validate: validateConfigSchema.optional(),
    /** Quarantine, onError, order, sequential and resend (see failure-policy-schema.ts). */
    ...failurePolicyShape,
  })
  .strict();

export const storeSchema = z
  .object({
    /** `file://PATH` (a folder whose sub-folders are buckets) or `s3://` (optionally `s3://default-bucket/prefix`). */
    url: z.string().regex(/^(file|s3):\/\//, 'expected a URL starting with file:// or s3://'),
    region: z.string().optional(),
    /** A custom endpoint for S3-compatible servers, e.g. http://127.0.0.1:9000. */
    endpoint: z.string().url().optional(),
    forcePathStyle: z.boolean().default(false),
    /** Multipart part size in MiB (5 to 5120); 8 is the AWS CLI's default too. */
    partSizeMiB: z.number().int().min(5).max(5120).default(DEFAULT_PART_SIZE_MIB),
    /** Parts uploaded at once per object; memory is about partSize x (queueSize + 1) per object. */
    queueSize: z.number().int().min(1).max(16).default(DEFAULT_QUEUE_SIZE),
    /** Checksum algorithm sent with every upload. */
    checksumAlgorithm: z.enum(['CRC32', 'CRC32C', 'SHA1', 'SHA256', 'CRC64NVME']).default('CRC32'),
    serverSideEncryption: z.enum(['AES256', 'aws:kms']).optional(),
    kmsKeyId: z.string().optional(),
    maxAttempts: z.number().int().min(1).max(20).default(5),
    /** TCP (and TLS) connect to the endpoint, per attempt. */
    connectTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
    /** A request that sends and receives nothing for this long fails (and is retried, up to maxAttempts). */
    requestTimeoutMs: z.number().int().min(100).max(3_600_000).default(30_000),
  })
  .strict();

export const limitsSchema = z
  .object({
    /** Largest total, in bytes, that the decompression layers of one source file (OpenPGP's compression, gzip, zip entries) may produce together. */
    maxUnpackedBytes: z.number().int().positive().default(64 * 1024 ** 3),
    /** Largest ratio of output to compressed bytes consumed, per decompression layer (decompression-bomb guard). */
    maxCompressionRatio: z.number().positive().default(1000),
    /** Most archive members one source file may hold, nested archives included. */
    maxEntries: z.number().int().positive().default(100_000),
  })
  .strict();

/** A config without `store` says what the key is for, not zod's "Invalid input". */
function missingStore(issue: { input?: unknown }): string | undefined {
  return issue.input === undefined
    ? 'required: where the buckets are, e.g. store: file://.octo/buckets (a local folder) or store: s3:// (see docs/sftp-s3.md)'
    : undefined;
}

export const configSchema = z
  .object({
    store: z
      .union([z.string(), storeSchema], { error: missingStore })
      .transform((value) => (typeof value === 'string' ? { url: value } : value))
      .pipe(storeSchema),
    /** Temporary files (zip spools), locks and job reports. */
    workDir: z.string().default('.octo/work'),
    /** Files processed at once per job. 8: small files wait on round trips, not CPU (2,000 small files into S3 measured fastest at 8). */
    concurrency: z.number().int().min(1).max(64).default(8),
    limits: limitsSchema.default({ maxUnpackedBytes: 64 * 1024 ** 3, maxCompressionRatio: 1000, maxEntries: 100_000 }),
    providers: z.record(z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'provider names are kebab-case, e.g. acme-bank'), providerConfigSchema),
    /** Job history retention and how many providers sync at once. */
    jobs: jobsConfigSchema.default({ retention: { maxJobs: 1000, maxAgeDays: 30 }, providersAtOnce: 4 }),
    /** Distributed mode: the Redis that holds every job (see README); otherwise `OCTO_REDIS_URL`, otherwise the embedded default. */
    queue: queueUrlSchema.optional(),
    /** The HTTP API (`octo serve`). */
    api: z.unknown().optional(),
    /** Webhooks told about every provider's jobs. */
    notify: notifySchema.optional(),
    /** OpenLineage run events of every job, POSTed to this endpoint. */
    lineage: lineageConfigSchema.optional(),
  })
  .strict();

export type OctoConfigInput = z.input<typeof configSchema>;
export type OctoConfig = z.output<typeof configSchema>;
export type ProviderConfig = z.output<typeof providerConfigSchema>;
export type SourceConfig = z.output<typeof sourceObjectSchema>;
export type StoreConfig = z.output<typeof storeSchema>;
export type DecryptionConfig = z.output<typeof decryptionSchema>;
export type LimitsConfig = z.output<typeof limitsSchema>;
export type ConflictPolicy = z.output<typeof conflictPolicySchema>;
