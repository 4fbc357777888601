import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { OctoConfigInput } from '@octo/core';

/** Writes an Octo config file (JSON is valid YAML) and returns its path. */
export async function writeOctoConfig(dir: string, config: OctoConfigInput, name = 'octo.config.yaml'): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}
