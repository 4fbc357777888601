import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/**
 * Why the S3 client found no credentials or region when `AWS_PROFILE` names a profile that
 * neither the AWS config file nor the credentials file holds (the SDK only says "Could not
 * load credentials" or "Region is missing"); `undefined` when the profile exists or none is set.
 * Names the files as the AWS CLI documents them, never by a local path.
 */
export function unknownAwsProfile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const profile = env['AWS_PROFILE'];
  if (!profile) return undefined;
  const configFile = env['AWS_CONFIG_FILE'] || path.join(homedir(), '.aws', 'config');
  const credentialsFile = env['AWS_SHARED_CREDENTIALS_FILE'] || path.join(homedir(), '.aws', 'credentials');
  const known = [...new Set([...sections(configFile, true), ...sections(credentialsFile, false)])].sort();
  if (known.includes(profile)) return undefined;
  const where = `${env['AWS_CONFIG_FILE'] ? 'AWS_CONFIG_FILE' : '~/.aws/config'} or ${env['AWS_SHARED_CREDENTIALS_FILE'] ? 'AWS_SHARED_CREDENTIALS_FILE' : '~/.aws/credentials'}`;
  const listed = known.length ? `the profiles there are ${known.join(', ')}` : 'no profile is there';
  return `AWS_PROFILE is "${profile}", but no such profile is in ${where} (${listed}): set AWS_PROFILE to one of them, add the profile (aws configure --profile ${profile}), or unset AWS_PROFILE`;
}

/** The profile names of an AWS ini file: `[profile x]` (and `[default]`) in config, `[x]` in credentials. */
function sections(file: string, config: boolean): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return [...text.matchAll(/^\s*\[([^\]]+)\]\s*$/gm)]
    .map((match) => (match[1] ?? '').trim())
    .map((name) => (config && name.startsWith('profile ') ? name.slice('profile '.length).trim() : name))
    .filter((name) => name && !(config && /^(sso-session|services) /.test(name)));
}
