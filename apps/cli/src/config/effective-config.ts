/** Where a value of the effective config came from. */
export type ValueOrigin = 'file' | 'default' | 'env';

/** One value of the effective config, secrets never included. */
export interface EffectiveValue {
  /** Dotted path, `providers.acme.decryption.privateKeys[0].key`. */
  readonly path: string;
  /** What to show: the value, a secret reference with whether it resolves, or `[redacted]`. */
  readonly value: string;
  readonly origin: ValueOrigin;
  /** The variable, for a value from the environment. */
  readonly env?: string;
}

/** What {@link effectiveConfig} needs to know about secret references without reading them. */
export interface SecretProbe {
  /** Whether the environment variable is set (non-empty). */
  envSet(name: string): boolean;
  /** Whether the file exists, for a `file:` path as written in the config. */
  fileExists(file: string): boolean;
}

// `file://` is a URL (a drop, a store), not a reference.
const SECRET_REF = /^(env|file):(?!\/\/)(.+)$/;
/** Fields that hold a secret (always a reference in a valid config; redacted otherwise). */
const SECRET_FIELD = /(pass(word|phrase)?|secret|token|privatekey|^key$|verificationkeys|credential)/i;
/** Variables the S3 client reads; their values never print, only whether they are set. */
const AWS_ENV = ['AWS_PROFILE', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const;
const AWS_SECRET_ENV = new Set(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']);

/**
 * The effective config as rows: every value after defaults, where it came from (the file,
 * a default, the environment), secret references shown as references with whether they
 * resolve, and no secret value ever. `provider` limits the providers shown to one.
 */
export function effectiveConfig(raw: unknown, config: Record<string, unknown>, env: NodeJS.ProcessEnv, probe: SecretProbe, provider?: string): EffectiveValue[] {
  const rows: EffectiveValue[] = [];
  const visit = (value: unknown, path: readonly (string | number)[], rawValue: unknown, secret: boolean): void => {
    if (path[0] === 'providers' && provider !== undefined && path.length >= 2 && path[1] !== provider) return;
    if (Array.isArray(value) || (value !== null && typeof value === 'object')) {
      const entries: Array<[string | number, unknown]> = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
      // `store: file://x` and `source: sftp://...` are the short form of `{ url: ... }`.
      const rawObject = typeof rawValue === 'string' && !Array.isArray(value) ? { url: rawValue } : rawValue;
      for (const [key, child] of entries) {
        const rawChild = rawObject !== null && typeof rawObject === 'object' ? (rawObject as Record<string | number, unknown>)[key] : undefined;
        visit(child, [...path, key], rawChild, secret || (typeof key === 'string' && SECRET_FIELD.test(key)));
      }
      return;
    }
    rows.push({ path: formatPath(path), value: show(value, secret, probe), origin: rawValue === undefined ? 'default' : 'file' });
  };
  visit(config, [], raw, false);
  const store = config['store'] as { url?: string; region?: string } | undefined;
  if (store?.url?.startsWith('s3://') && store.region === undefined) {
    const variable = env['AWS_REGION'] ? 'AWS_REGION' : env['AWS_DEFAULT_REGION'] ? 'AWS_DEFAULT_REGION' : undefined;
    if (variable) rows.push({ path: 'store.region', value: env[variable] ?? '', origin: 'env', env: variable });
  }
  for (const variable of AWS_ENV) {
    const value = env[variable];
    if (value) rows.push({ path: `env.${variable}`, value: AWS_SECRET_ENV.has(variable) ? '[redacted] (set)' : value, origin: 'env', env: variable });
  }
  return rows;
}

function show(value: unknown, secret: boolean, probe: SecretProbe): string {
  if (typeof value !== 'string') return JSON.stringify(value);
  const ref = SECRET_REF.exec(value);
  if (ref) {
    const [, scheme, name = ''] = ref;
    if (scheme === 'env') return `${value} (${probe.envSet(name) ? 'set' : 'NOT SET'})`;
    return `${value} (${probe.fileExists(name) ? 'file exists' : 'FILE MISSING'})`;
  }
  if (secret) return '[redacted]';
  // A URL's password part (sftp://user:pass@host) is a secret too.
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/:@]*):[^/@]*@/i, '$1:[redacted]@');
}

function formatPath(path: readonly (string | number)[]): string {
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`)).join('');
}
