import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { walkFolder } from './walk-folder.js';

describe(walkFolder, () => {
  let dir: string;
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('when the folder does not exist, should give no entries', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'octo-walk-'));
    await expect(walkFolder(path.join(dir, 'missing'))).resolves.toEqual([]);
  });

  it('when sub-folders come and go during the walk, should still list the files that stay', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'octo-walk-'));
    await mkdir(path.join(dir, 'ledger'));
    await writeFile(path.join(dir, 'ledger', 'keep.json'), '{}');
    let churning = true;
    // Staging folders appear and vanish the way a busy run's do.
    const churn = (async () => {
      for (let round = 0; churning; round += 1) {
        const staged = path.join(dir, 'staging', `run-${round % 8}`, 'deep', 'er');
        await mkdir(staged, { recursive: true });
        await writeFile(path.join(staged, 'part'), 'x');
        await rm(path.join(dir, 'staging', `run-${(round + 4) % 8}`), { recursive: true, force: true });
      }
    })();
    try {
      for (let walk = 0; walk < 300; walk += 1) {
        const names = (await walkFolder(dir)).filter((entry) => entry.isFile()).map((entry) => entry.name);
        expect(names).toContain('keep.json');
      }
    } finally {
      churning = false;
      await churn;
    }
  });
});
