import { randomUUID } from 'node:crypto';
import type { ProviderConfig } from '../config/config-schema.js';
import { OctoError } from '../errors/octo-error.js';
import { TYPES } from '../ports/identifiers.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { RemoteFile, RemoteSource } from '../ports/remote-source.js';
import type { ProviderFactory } from '../providers/provider-factory.js';
import type { SecretResolver } from '../secrets/secret-ref.js';
import { checkDecryptionKeys } from './check-decryption-keys.js';
import { secretRefsOf } from './secret-refs-of.js';
import type { ProbeStage } from '../adapters/sftp/sftp-connection-probe.js';

/** The steps of `octo check`, in the order they run. */
export type CheckStepName = 'secrets' | 'keys' | 'connect' | 'login' | 'list' | 'read' | 'bucket';

/** One step: `pass`, `warn` (works, but someone must act: a retired key), `fail` with the reason, or `skip` (could not run). */
export interface CheckStep {
  readonly step: CheckStepName;
  readonly status: 'pass' | 'warn' | 'fail' | 'skip';
  /** What was found, or why it failed and what to do. Never a secret's value. */
  readonly detail: string;
  /** How long the step took, in seconds. */
  readonly seconds: number;
}

/** The outcome of checking one provider: `ok` when no step failed. */
export interface ProviderCheck {
  readonly provider: string;
  readonly ok: boolean;
  readonly steps: readonly CheckStep[];
}

/** Where the bucket probe is written, and removed again at once. */
export const CHECK_PROBE_PREFIX = '_octo/check/';

/** A source that can report its handshake and its login apart (the SFTP source). */
interface ConnectionProbing {
  probeConnection(): Promise<{ connect: ProbeStage; login?: ProbeStage }>;
}

function probes(source: RemoteSource): source is RemoteSource & ConnectionProbing {
  return typeof (source as Partial<ConnectionProbing>).probeConnection === 'function';
}

const seconds = (ms: number) => Math.round(ms) / 1000;

async function timed(step: CheckStepName, work: () => Promise<{ status?: CheckStep['status']; detail: string }>): Promise<CheckStep> {
  const started = performance.now();
  try {
    const { status = 'pass', detail } = await work();
    return { step, status, detail, seconds: seconds(performance.now() - started) };
  } catch (error) {
    const detail = OctoError.is(error) ? error.message : error instanceof Error ? error.message : String(error);
    return { step, status: 'fail', detail, seconds: seconds(performance.now() - started) };
  }
}

const skipped = (step: CheckStepName, why: string): CheckStep => ({ step, status: 'skip', detail: why, seconds: 0 });

/**
 * `octo check <provider>`: proves a provider's setup end to end before its first real run, each
 * step with pass or a reason and its time: every secret resolves; every decryption key loads (and
 * which key ids it decrypts; a retired one is a warning); the source connects with the pinned host
 * key, logs in, lists, and reads the first bytes of one file; the bucket exists, the credentials
 * work, and a probe object can be written and removed. Nothing else is written, nothing is moved,
 * no ledger record is made.
 */
export async function checkProvider(providers: ProviderFactory, name: string): Promise<ProviderCheck> {
  const handle = await providers.create(name);
  const secrets = handle.container.get(TYPES.SecretResolver);
  const config: ProviderConfig = handle.context.config;
  const source = handle.container.get(TYPES.RemoteSource);
  const store = handle.container.get(TYPES.ObjectStore);
  const steps: CheckStep[] = [];
  try {
    steps.push(await timed('secrets', () => resolveEverySecret(config, secrets)));
    steps.push(await timed('keys', () => checkDecryptionKeys(name, config.decryption, secrets)));
    steps.push(...(await checkSource(source)));
    steps.push(await timed('bucket', () => checkBucket(store)));
  } finally {
    await source.close?.().catch(() => undefined);
    await store.close?.().catch(() => undefined);
  }
  return { provider: name, ok: steps.every((step) => step.status !== 'fail'), steps };
}

async function resolveEverySecret(config: ProviderConfig, secrets: SecretResolver): Promise<{ status?: CheckStep['status']; detail: string }> {
  const refs = secretRefsOf(config);
  if (refs.length === 0) return { status: 'skip', detail: 'this provider uses no secrets' };
  const problems: string[] = [];
  for (const { field, ref } of refs) {
    try {
      await secrets.resolve(ref);
    } catch (error) {
      problems.push(`${field} (${ref}): ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new OctoError('config', `${problems.length} of ${refs.length} secret(s) cannot be read: ${problems.join('; ')}`);
  return { detail: `${refs.length} secret(s) resolve: ${refs.map((r) => r.field).join(', ')}` };
}

async function checkSource(source: RemoteSource): Promise<CheckStep[]> {
  const steps: CheckStep[] = [];
  if (probes(source)) {
    const probe = await source.probeConnection();
    steps.push({ step: 'connect', status: probe.connect.ok ? 'pass' : 'fail', detail: probe.connect.detail, seconds: seconds(probe.connect.ms) });
    if (!probe.login) {
      steps.push(skipped('login', 'no connection'), skipped('list', 'no connection'), skipped('read', 'no connection'));
      return steps;
    }
    steps.push({ step: 'login', status: probe.login.ok ? 'pass' : 'fail', detail: probe.login.detail, seconds: seconds(probe.login.ms) });
    if (!probe.login.ok) {
      steps.push(skipped('list', 'not logged in'), skipped('read', 'not logged in'));
      return steps;
    }
  } else {
    steps.push({ step: 'connect', status: 'pass', detail: 'this source needs no connection', seconds: 0 });
    steps.push({ step: 'login', status: 'skip', detail: 'no login for this source', seconds: 0 });
  }
  let files: RemoteFile[] = [];
  const list = await timed('list', async () => {
    files = await source.list();
    return { detail: `${files.length} file(s) listed` };
  });
  steps.push(list);
  if (list.status === 'fail') {
    steps.push(skipped('read', 'the listing failed'));
    return steps;
  }
  steps.push(await timed('read', () => readFirstBytes(source, files[0])));
  return steps;
}

/** Bytes read from one file: enough to prove read access (and show the format) without downloading it. */
const READ_BYTES = 64;

async function readFirstBytes(source: RemoteSource, file: RemoteFile | undefined): Promise<{ status?: CheckStep['status']; detail: string }> {
  if (!file) return { status: 'skip', detail: 'the drop is empty: nothing to read' };
  const stream = await source.open(file);
  let got = Buffer.alloc(0);
  try {
    for await (const chunk of stream) {
      got = Buffer.concat([got, chunk as Buffer]);
      if (got.length >= READ_BYTES) break;
    }
  } finally {
    stream.destroy();
  }
  const head = got.subarray(0, Math.min(READ_BYTES, file.size));
  return { detail: `read the first ${Math.min(head.length, 16)} byte(s) of ${file.path}: ${head.subarray(0, 16).toString('hex')}` };
}

async function checkBucket(store: ObjectStore): Promise<{ detail: string }> {
  await store.check();
  const key = `${CHECK_PROBE_PREFIX}${randomUUID()}.probe`;
  const body = `octo check ${new Date().toISOString()}\n`;
  await store.putSmall(key, body);
  try {
    const read = await store.get(key);
    if (!read) throw new OctoError('store', `the probe object ${key} was written but cannot be read back`);
    read.destroy();
  } finally {
    await store.delete(key);
  }
  return { detail: 'the bucket exists, the credentials work, a probe object was written, read and removed' };
}
