import fc from 'fast-check';
import { assertFolderRule, hostileName } from '@octo/core/testing';
import { describe, expect, it } from 'vitest';
import { DatedFolderNamer } from './dated-folder-namer.js';

// Source paths as a partner might send them, from the expected pattern with hostile parts to anything at all.
const sourcePath = fc.oneof(
  hostileName,
  fc.tuple(fc.array(hostileName, { maxLength: 2 }), fc.tuple(hostileName, fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }), hostileName).map(([before, date, after]) => `${before}${date.toISOString().slice(0, 10).replaceAll('-', '')}${after}`)).map(([dirs, name]) => [...dirs, name].join('/')),
);

describe('DatedFolderNamer, over arbitrary source paths (fast-check)', () => {
  it('should give a folder of the documented shape or refuse the file, and every key stays inside it', () => {
    const named = assertFolderRule(new DatedFolderNamer(), { provider: 'example', sourcePath, folder: /^example\/(\d{4}-\d{2}-\d{2}|undated)$/ });
    // The pattern-shaped paths must reach the folder rule often, or the property says little.
    expect(named).toBeGreaterThan(200);
  });
});
