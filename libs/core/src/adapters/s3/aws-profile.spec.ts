import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { unknownAwsProfile } from './aws-profile.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe(unknownAwsProfile, () => {
  it('should name a profile that neither file holds, the profiles that exist, and what to do', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'octo-aws-'));
    dirs.push(dir);
    await writeFile(path.join(dir, 'config'), '[default]\nregion = eu-west-1\n[profile prod]\nregion = eu-west-1\n[sso-session corp]\nsso_region = eu-west-1\n');
    await writeFile(path.join(dir, 'credentials'), '[ci]\naws_access_key_id = x\n');
    const env = { AWS_CONFIG_FILE: path.join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'credentials') };
    expect(unknownAwsProfile({ ...env, AWS_PROFILE: 'prdo' })).toBe(
      'AWS_PROFILE is "prdo", but no such profile is in AWS_CONFIG_FILE or AWS_SHARED_CREDENTIALS_FILE (the profiles there are ci, default, prod): set AWS_PROFILE to one of them, add the profile (aws configure --profile prdo), or unset AWS_PROFILE',
    );
    expect(unknownAwsProfile({ ...env, AWS_PROFILE: 'prod' })).toBeUndefined();
    expect(unknownAwsProfile({ ...env, AWS_PROFILE: 'ci' })).toBeUndefined();
    expect(unknownAwsProfile(env)).toBeUndefined();
  });
});
