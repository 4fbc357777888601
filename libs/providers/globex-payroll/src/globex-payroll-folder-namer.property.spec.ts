import fc from 'fast-check';
import { assertFolderRule, hostileName } from '@octo/core/testing';
import { describe, expect, it } from 'vitest';
import { GlobexPayrollFolderNamer } from './globex-payroll-folder-namer.js';

// Source paths as a partner might send them, from the expected pattern with hostile parts to anything at all.
const sourcePath = fc.oneof(
  hostileName,
  fc.tuple(fc.array(hostileName, { maxLength: 2 }), fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 99 }), fc.oneof(fc.constant(''), hostileName)).map(([year, week, noise]) => `payroll_${String(year).padStart(4, '0')}W${String(week).padStart(2, '0')}${noise}.tar.gz.pgp`)).map(([dirs, name]) => [...dirs, name].join('/')),
);

describe('GlobexPayrollFolderNamer, over arbitrary source paths (fast-check)', () => {
  it('should give a folder of the documented shape or refuse the file, and every key stays inside it', () => {
    const named = assertFolderRule(new GlobexPayrollFolderNamer(), { provider: 'globex-payroll', sourcePath, folder: /^\d{4}-W\d{2}$/ });
    // The pattern-shaped paths must reach the folder rule often, or the property says little.
    expect(named).toBeGreaterThan(200);
  });
});
