import fc from 'fast-check';
import { assertFolderRule, hostileName } from '@octo/core/testing';
import { describe, expect, it } from 'vitest';
import { AcmeBankFolderNamer } from './acme-bank-folder-namer.js';

// Source paths as a partner might send them, from the expected pattern with hostile parts to anything at all.
const sourcePath = fc.oneof(
  hostileName,
  fc.tuple(fc.array(hostileName, { maxLength: 2 }), fc.tuple(fc.oneof(fc.stringMatching(/^[A-Za-z0-9-]{1,8}$/), hostileName), fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true })).map(([account, date]) => `stmt_${account}_${date.toISOString().slice(0, 10).replaceAll('-', '')}.csv.gz.gpg`)).map(([dirs, name]) => [...dirs, name].join('/')),
);

describe('AcmeBankFolderNamer, over arbitrary source paths (fast-check)', () => {
  it('should give a folder of the documented shape or refuse the file, and every key stays inside it', () => {
    const named = assertFolderRule(new AcmeBankFolderNamer(), { provider: 'acme-bank', sourcePath, folder: /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\/\d{4}\/(0[1-9]|1[0-2])$/ });
    // The pattern-shaped paths must reach the folder rule often, or the property says little.
    expect(named).toBeGreaterThan(200);
  });
});
