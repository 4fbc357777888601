import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { OctoError } from '../errors/octo-error.js';
import { configSchema, type OctoConfig } from './config-schema.js';

/** A validated config and where it came from; relative paths resolve against `baseDir`. */
export interface LoadedConfig {
  readonly config: OctoConfig;
  readonly file: string;
  readonly baseDir: string;
}

const DEFAULT_NAMES = ['octo.config.yaml', 'octo.config.yml', 'octo.config.json'];

/** Finds the config file: the explicit path, then `OCTO_CONFIG`, then `./octo.config.{yaml,yml,json}`. */
export function findConfigFile(explicit: string | undefined, cwd = process.cwd(), env = process.env): string {
  const chosen = explicit ?? env['OCTO_CONFIG'];
  if (chosen) {
    const file = path.resolve(cwd, chosen);
    if (!existsSync(file)) {
      throw new OctoError('config', `config file ${shownPath(file, cwd)} does not exist (from ${explicit ? '--config' : 'OCTO_CONFIG'})`, { fatal: true });
    }
    return file;
  }
  for (const name of DEFAULT_NAMES) {
    const file = path.join(cwd, name);
    if (existsSync(file)) return file;
  }
  throw new OctoError('config', 'no config file found: pass --config PATH, set OCTO_CONFIG, or create ./octo.config.yaml in the current folder', {
    fatal: true,
  });
}

/** Formats zod issues as `path.to.field: what was expected`, one per line. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const where = issue.path.length ? issue.path.map(String).join('.') : '(root)';
      // A bad record key carries the reason in its nested issues ("Invalid key in record" alone says nothing).
      const nested = 'issues' in issue && Array.isArray(issue.issues) ? (issue.issues as z.core.$ZodIssue[]).map((inner) => inner.message) : [];
      return `  ${where}: ${nested.length ? nested.join('; ') : issue.message}`;
    })
    .join('\n');
}

/** Parses and validates config text; the error names the file and every bad field. */
export function parseConfig(text: string, file: string): OctoConfig {
  let raw: unknown;
  try {
    raw = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new OctoError('config', `config ${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message}`, {
      cause: error,
      fatal: true,
    });
  }
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) {
    throw new OctoError('config', `config ${file} is invalid:\n${formatIssues(result.error.issues)}`, { fatal: true });
  }
  return result.data;
}

/** Loads, validates and returns the config, with relative paths left for {@link resolvePath}. */
export async function loadConfig(explicit?: string, cwd = process.cwd()): Promise<LoadedConfig> {
  const file = findConfigFile(explicit, cwd);
  const text = await readFile(file, 'utf8');
  return { config: parseConfig(text, shownPath(file, cwd)), file, baseDir: path.dirname(file) };
}

/**
 * A config path as messages show it: relative to the current folder when it is inside it,
 * otherwise whole, so a message never names a file the reader could take for another one
 * (`./octo.config.yaml` when `--config /etc/octo/octo.config.yaml` was meant).
 */
export function shownPath(file: string, cwd = process.cwd()): string {
  const relative = path.relative(cwd, file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/** Resolves a path or `file://` URL from config against the config file's folder. */
export function resolvePath(baseDir: string, value: string): string {
  const plain = value.startsWith('file://') ? decodeURIComponent(value.slice('file://'.length)) : value;
  return path.resolve(baseDir, plain);
}
