import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig, OctoError } from '@octo/core';
import { parse as parseYaml } from 'yaml';
import { effectiveConfig } from '../config/effective-config.js';
import { table } from '../output/format.js';
import type { ConfigShowArgs } from './config.js';

/** Runs `octo config show`: validates the config as every command does, then prints each value with its origin. */
export async function runConfigShow(args: ConfigShowArgs): Promise<void> {
  const loaded = await loadConfig(args.config);
  if (args.provider !== undefined && !(args.provider in loaded.config.providers)) {
    throw new OctoError('config', `unknown provider "${args.provider}": the configured providers are ${Object.keys(loaded.config.providers).join(', ')}`);
  }
  const text = await readFile(loaded.file, 'utf8');
  const raw: unknown = loaded.file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  const values = effectiveConfig(
    raw,
    loaded.config as unknown as Record<string, unknown>,
    process.env,
    { envSet: (name) => Boolean(process.env[name]), fileExists: (file) => existsSync(path.resolve(loaded.baseDir, file)) },
    args.provider,
  );
  const file = path.relative(process.cwd(), loaded.file) || loaded.file;
  const from = args.config ? '--config' : process.env['OCTO_CONFIG'] ? 'env OCTO_CONFIG' : 'the current folder';
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ file, from, values }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`config ${file} (from ${from}); secrets are shown as their references only\n\n`);
  process.stdout.write(`${table(['key', 'value', 'from'], values.map((v) => [v.path, v.value, v.env ? `env ${v.env}` : v.origin]))}\n`);
}
